/**
 * Goal: against a live server on port 0, a client completes attest → token → key release the way
 *   Confidential ACI does: the sidecar's `/attest/maa` and `/key/release`, MAA's
 *   `/attest/SevSnpVm` with Azure's request body, and AKV's `/keys/{name}/release`, with tokens
 *   that verify under the served JWKS and OpenID metadata and say what the report says, and keys
 *   that only the container's private key unwraps.
 * Method: tokens are verified with `jose` (not our JWT code) against `/certs`, found directly or
 *   through `/.well-known/openid-configuration`, at the server's virtual time. The report a token
 *   speaks for is fetched from the same server's `/attest/raw` with the same runtime data, and
 *   claims are compared with its bytes at the ABI offsets (claimsFromReportBytes); REPORT_DATA
 *   with node:crypto's SHA-256. The container's key is an RSA-2048 pair from a test stream; the
 *   AKV release is unwrapped here as the sidecar's rsaAESKeyUnwrap does (OAEP-SHA256 of the KEK,
 *   then RFC 5649), with node:crypto, not with our unwrap. Key material is the config's.
 */
import {
  constants, createDecipheriv, createHash, privateDecrypt, type KeyObject,
} from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rngStateOf } from '../../sim/kernel/rng.js';
import { rsaKeyFromStream } from '../../models/verifier/jwt-keys.js';
import type { FakeSnpOptions } from '../../sim/server/config.js';
import { claimsFromReportBytes } from '../verifier/attestation-fixture.js';
import { withServer } from './support.js';

/** The server's default virtual time (2026-01-01T00:00:00Z), one second later for jose. */
const AT = new Date('2026-01-01T00:00:01Z');
const MATERIAL = '5e'.repeat(32);
const HOST_DATA = 'c4'.repeat(32);

const OPTIONS: FakeSnpOptions = { seed: 91, guest: { hostData: HOST_DATA },
  keyVault: { keys: [{ name: 'db-key', material: MATERIAL }] } };

type Json = Record<string, unknown>;

async function post(url: string, body: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' } });
  return { status: response.status, json: await response.json() as Json };
}

function payloadOf(jws: string): Json {
  return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as Json;
}

const b64 = (text: string | Uint8Array): string => Buffer.from(text).toString('base64');
const b64url = (text: string | Uint8Array): string => Buffer.from(text).toString('base64url');

/** The sidecar's unwrap: OAEP-SHA256(KEK) over the modulus bytes, then AES-256 key wrap (5649). */
function sidecarUnwrap(ciphertext: Buffer, privateKey: KeyObject): Buffer {
  const kek = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: 'sha256' }, ciphertext.subarray(0, 256));
  const decipher = createDecipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex'));
  return Buffer.concat([decipher.update(ciphertext.subarray(256)), decipher.final()]);
}

test('server/attestation: /attest/maa gives a token jose verifies under the served /certs, '
  + 'issued by https://{maa_endpoint}, whose claims equal the report bytes', async () => {
  await withServer(OPTIONS, async (fake, running) => {
    const { maaEndpoint } = fake.attestationEndpoints;
    const runtime = '{"keys":[],"nonce":"n-1"}';
    const answer = await post(`${running.url}/attest/maa`,
      { maa_endpoint: maaEndpoint, runtime_data: b64(runtime) });
    assert.is(answer.status, 200, JSON.stringify(answer.json));
    const token = String(answer.json['token']);
    const jwks = createRemoteJWKSet(new URL(`${running.url}/certs`));
    const { payload } = await jwtVerify(token, jwks, { issuer: `https://${maaEndpoint}`,
      algorithms: ['RS256'], currentDate: AT });
    const raw = await post(`${running.url}/attest/raw`, { runtime_data: b64(runtime) });
    const report = new Uint8Array(Buffer.from(String(raw.json['report']), 'hex'));
    for (const [claim, value] of Object.entries(claimsFromReportBytes(report))) {
      assert.equal(payload[claim], value, claim);
    }
    const digest = createHash('sha256').update(runtime).digest('hex');
    assert.is(payload['x-ms-sevsnpvm-reportdata'], digest + '00'.repeat(32));
    assert.is(payload['x-ms-sevsnpvm-hostdata'], HOST_DATA);
    assert.equal(payload['x-ms-runtime'], JSON.parse(runtime));
    assert.is(payload['x-ms-attestation-type'], 'sevsnpvm');
  });
});

test('server/attestation: /key/release answers {key} with the released key as a JWK string '
  + 'whose k is the configured material', async () => {
  await withServer(OPTIONS, async (fake, running) => {
    const { maaEndpoint, akvEndpoint } = fake.attestationEndpoints;
    const answer = await post(`${running.url}/key/release`,
      { maa_endpoint: maaEndpoint, akv_endpoint: akvEndpoint, kid: 'db-key' });
    assert.is(answer.status, 200, JSON.stringify(answer.json));
    assert.type(answer.json['key'], 'string');
    assert.equal(JSON.parse(String(answer.json['key'])),
      { k: Buffer.from(MATERIAL, 'hex').toString('base64url'), kty: 'oct' });
  });
});

test('server/attestation: a container attests with its own RSA key through /attest/maa, '
  + 'presents the token at /keys/{name}/release and unwraps the key with its private key',
async () => {
  await withServer(OPTIONS, async (fake, running) => {
    const container = rsaKeyFromStream(rngStateOf('test/server/container-key'));
    const runtime = JSON.stringify({ keys: [{ ...container.publicJwk, kid: 'c1' }] });
    const attested = await post(`${running.url}/attest/maa`,
      { maa_endpoint: fake.attestationEndpoints.maaEndpoint, runtime_data: b64(runtime) });
    assert.is(attested.status, 200, JSON.stringify(attested.json));
    const token = String(attested.json['token']);
    const released = await post(`${running.url}/keys/db-key/release?api-version=7.4`,
      { target: token });
    assert.is(released.status, 200, JSON.stringify(released.json));
    const value = String(released.json['value']);
    assert.is(decodeProtectedHeader(value).alg, 'RS256');
    const payload = payloadOf(value) as { request: Json; response: { key: { key: Json } } };
    assert.is(payload.request['enc'], 'RSA_AES_KEY_WRAP_256');
    assert.match(String(payload.request['kid']),
      `https://${fake.attestationEndpoints.akvEndpoint}/keys/db-key/`);
    const keyHsm = JSON.parse(Buffer.from(String(payload.response.key.key['key_hsm']),
      'base64url').toString('utf8')) as Json;
    const ciphertext = Buffer.from(String(keyHsm['ciphertext']), 'base64url');
    assert.is(sidecarUnwrap(ciphertext, container.privateKey).toString('hex'), MATERIAL);
    assert.ok(!ciphertext.toString('hex').includes(MATERIAL), 'the material travels wrapped');
  });
});

test('server/attestation: /attest/SevSnpVm takes Azure\'s body (report = base64url of '
  + '{SnpReport, VcekCertChain}, the THIM chain) and its token verifies through the OpenID '
  + 'metadata, with the nonce echoed', async () => {
  await withServer(OPTIONS, async (_fake, running) => {
    const runtime = '{"purpose":"maa-direct"}';
    const raw = await post(`${running.url}/attest/raw`, { runtime_data: b64(runtime) });
    const thim = await (await fetch(`${running.url}/metadata/THIM/amd/certification`,
      { headers: { Metadata: 'true' } })).json() as Record<string, string>;
    const bundle = JSON.stringify({
      SnpReport: b64url(Buffer.from(String(raw.json['report']), 'hex')),
      VcekCertChain: b64url(thim['vcekCert']! + thim['certificateChain']!),
    });
    const answer = await post(`${running.url}/attest/SevSnpVm?api-version=2022-08-01`, {
      report: b64url(bundle), runtimeData: { data: b64url(runtime), dataType: 'JSON' },
      nonce: 'nonce-42' });
    assert.is(answer.status, 200, JSON.stringify(answer.json));
    const metadata = await (await fetch(`${running.url}/.well-known/openid-configuration`))
      .json() as Record<string, string>;
    assert.is(metadata['jwks_uri'], `${running.url}/certs`);
    const { payload, protectedHeader } = await jwtVerify(String(answer.json['token']),
      createRemoteJWKSet(new URL(metadata['jwks_uri']!)),
      { issuer: metadata['issuer']!, currentDate: AT });
    assert.is(protectedHeader.jku, `${metadata['issuer']}/certs`);
    assert.is(payload['nonce'], 'nonce-42');
    assert.equal(payload['x-ms-runtime'], JSON.parse(runtime));
    assert.is(payload['x-ms-compliance-status'], 'azure-compliant-uvm');
  });
});

test('server/attestation: the token is valid from the configured time for the configured '
  + 'lifetime', async () => {
  const options = { ...OPTIONS, time: '2026-03-01T12:00:00Z',
    tokenService: { lifetimeSeconds: 600 } };
  await withServer(options, async (fake, running) => {
    const answer = await post(`${running.url}/attest/maa`,
      { maa_endpoint: fake.attestationEndpoints.maaEndpoint, runtime_data: b64('{}') });
    const payload = payloadOf(String(answer.json['token']));
    const at = Date.parse('2026-03-01T12:00:00Z') / 1000;
    assert.equal([payload['iat'], payload['nbf'], payload['exp']], [at, at, at + 600]);
  });
});

test.run();

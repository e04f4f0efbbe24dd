/**
 * Goal: a tampered or wrong attestation or release request over a live socket gets a 4xx with a
 *   JSON reason naming the failed check (and no token, no key), and the server keeps serving:
 *   a report whose bytes were changed, runtime data that is not what REPORT_DATA binds, a guest
 *   whose HOST_DATA or DEBUG bit the release policy refuses, a token from another MAA instance,
 *   signed by another service, altered, or expired at the vault's time, an unknown vault or key,
 *   and a served VCEK that is not the chip's (the wrongCertificate fault).
 * Method: each case is built from genuine pieces the same server hands out (`/attest/raw`,
 *   THIM, `/attest/maa`) with one thing changed here; expected codes are the stable VERIFY_*
 *   codes; the sidecar routes must answer `{error}` JSON with 403 (its status for a refused
 *   attestation or release) and the Azure routes `{error: {code, message}}`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFakeSnp } from '../../sim/server.js';
import type { FakeSnpOptions } from '../../sim/server/config.js';
import { withServer } from './support.js';

type Json = Record<string, unknown>;
type Answer = Readonly<{ status: number; json: Json }>;

const b64 = (text: string | Uint8Array): string => Buffer.from(text).toString('base64');
const b64url = (text: string | Uint8Array): string => Buffer.from(text).toString('base64url');

const HOST_DATA = 'c4'.repeat(32);
const OPTIONS: FakeSnpOptions = { seed: 92, guest: { hostData: HOST_DATA } };

async function post(url: string, body: unknown): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() as Json };
}

/** The sidecar's refusal: 403, {error, code, failures}, nothing released. */
function sidecarRefusal(answer: Answer, code: string, mentions: string): void {
  assert.is(answer.status, 403, JSON.stringify(answer.json));
  assert.is(answer.json['code'], code);
  assert.match(String(answer.json['error']), mentions);
  assert.ok(Array.isArray(answer.json['failures']));
  assert.is(answer.json['key'], undefined);
  assert.is(answer.json['token'], undefined);
}

/** Azure's refusal: {error: {code, message}}, the given status, no token or value. */
function azureRefusal(answer: Answer, status: number, code: string): void {
  assert.is(answer.status, status, JSON.stringify(answer.json));
  const error = answer.json['error'] as Json;
  assert.is(error['code'], code);
  assert.type(error['message'], 'string');
  assert.is(answer.json['token'], undefined);
  assert.is(answer.json['value'], undefined);
}

async function stillServes(url: string): Promise<void> {
  const response = await fetch(`${url}/status`);
  assert.is(response.status, 200);
  assert.equal(await response.json(), { message: 'Status OK' });
}

/** Azure's SevSnpVm body for `report` bytes, the served THIM chain and `runtime`. */
async function sevSnpVmBody(url: string, report: Uint8Array, runtime: string): Promise<Json> {
  const thim = await (await fetch(`${url}/metadata/THIM/amd/certification`,
    { headers: { Metadata: 'true' } })).json() as Record<string, string>;
  const bundle = JSON.stringify({ SnpReport: b64url(report),
    VcekCertChain: b64url(thim['vcekCert']! + thim['certificateChain']!) });
  return { report: b64url(bundle), runtimeData: { data: b64url(runtime), dataType: 'JSON' } };
}

async function rawReport(url: string, runtime: string): Promise<Uint8Array> {
  const raw = await post(`${url}/attest/raw`, { runtime_data: b64(runtime) });
  return new Uint8Array(Buffer.from(String(raw.json['report']), 'hex'));
}

test('server/attestation: a report with one changed byte of HOST_DATA is refused at '
  + '/attest/SevSnpVm with VERIFY_BAD_SIGNATURE', async () => {
  await withServer(OPTIONS, async (_fake, running) => {
    const report = await rawReport(running.url, '{}');
    report[0xc0] = report[0xc0]! ^ 0x01;
    const answer = await post(`${running.url}/attest/SevSnpVm?api-version=2022-08-01`,
      await sevSnpVmBody(running.url, report, '{}'));
    azureRefusal(answer, 403, 'VERIFY_BAD_SIGNATURE');
    await stillServes(running.url);
  });
});

test('server/attestation: runtime data other than the one REPORT_DATA binds is refused with '
  + 'VERIFY_REPORT_DATA', async () => {
  await withServer(OPTIONS, async (_fake, running) => {
    const report = await rawReport(running.url, '{"nonce":"a"}');
    const answer = await post(`${running.url}/attest/SevSnpVm?api-version=2022-08-01`,
      await sevSnpVmBody(running.url, report, '{"nonce":"b"}'));
    azureRefusal(answer, 403, 'VERIFY_REPORT_DATA');
    await stillServes(running.url);
  });
});

test('server/attestation: the default key is refused to a guest whose HOST_DATA its policy '
  + 'does not name, with VERIFY_RELEASE_POLICY naming x-ms-sevsnpvm-hostdata', async () => {
  const options: FakeSnpOptions = { ...OPTIONS, keyVault: { keys: [{ name: 'k1',
    releasePolicy: { version: '1.0.0', anyOf: [{
      authority: 'https://sharedparmasim.sim.attest.parma-sim.test',
      allOf: [{ claim: 'x-ms-sevsnpvm-hostdata', equals: 'd5'.repeat(32) }] }] } }] } };
  await withServer(options, async (fake, running) => {
    const { maaEndpoint, akvEndpoint } = fake.attestationEndpoints;
    const answer = await post(`${running.url}/key/release`,
      { maa_endpoint: maaEndpoint, akv_endpoint: akvEndpoint, kid: 'k1' });
    sidecarRefusal(answer, 'VERIFY_RELEASE_POLICY', 'x-ms-sevsnpvm-hostdata');
    assert.match(String(answer.json['error']), HOST_DATA);
    await stillServes(running.url);
  });
});

test('server/attestation: the default key is refused to a DEBUG guest (policy bit 19) with '
  + 'VERIFY_RELEASE_POLICY naming x-ms-sevsnpvm-is-debuggable, and released to the same guest '
  + 'without DEBUG', async () => {
  const release = async (policy: string): Promise<Answer> =>
    withServer({ seed: 92, guest: { hostData: HOST_DATA, policy } }, async (fake, running) => {
      const { maaEndpoint, akvEndpoint, keyNames } = fake.attestationEndpoints;
      return post(`${running.url}/key/release`,
        { maa_endpoint: maaEndpoint, akv_endpoint: akvEndpoint, kid: keyNames[0] });
    });
  sidecarRefusal(await release('0xb001f'), 'VERIFY_RELEASE_POLICY',
    'x-ms-sevsnpvm-is-debuggable');
  assert.is((await release('0x3001f')).status, 200);
});

test('server/attestation: a token from an MAA instance the key\'s policy does not name is '
  + 'refused with VERIFY_TOKEN_ISSUER', async () => {
  await withServer(OPTIONS, async (fake, running) => {
    const answer = await post(`${running.url}/key/release`, { maa_endpoint: 'other.attest.test',
      akv_endpoint: fake.attestationEndpoints.akvEndpoint, kid: 'parma-sim-key' });
    sidecarRefusal(answer, 'VERIFY_TOKEN_ISSUER', 'https://other.attest.test');
    await stillServes(running.url);
  });
});

test('server/attestation: an unknown vault or key is refused with VERIFY_KEY_RELEASE',
  async () => {
    await withServer(OPTIONS, async (fake, running) => {
      const { maaEndpoint, akvEndpoint } = fake.attestationEndpoints;
      const vault = await post(`${running.url}/key/release`, { maa_endpoint: maaEndpoint,
        akv_endpoint: 'myvault.vault.azure.net', kid: 'parma-sim-key' });
      sidecarRefusal(vault, 'VERIFY_KEY_RELEASE', 'myvault.vault.azure.net');
      const key = await post(`${running.url}/key/release`,
        { maa_endpoint: maaEndpoint, akv_endpoint: akvEndpoint, kid: 'no-such-key' });
      sidecarRefusal(key, 'VERIFY_KEY_RELEASE', 'no-such-key');
      await stillServes(running.url);
    });
  });

async function maaToken(url: string, maaEndpoint: string): Promise<string> {
  const runtime = JSON.stringify({ keys: [] });
  const answer = await post(`${url}/attest/maa`,
    { maa_endpoint: maaEndpoint, runtime_data: b64(runtime) });
  assert.is(answer.status, 200);
  return String(answer.json['token']);
}

test('server/attestation: at /keys/{name}/release an altered token fails '
  + 'VERIFY_TOKEN_SIGNATURE, and so does a token from another service (another seed)',
async () => {
  await withServer(OPTIONS, async (fake, running) => {
    const token = await maaToken(running.url, fake.attestationEndpoints.maaEndpoint);
    const [header, claims, signature] = token.split('.');
    const changed = JSON.parse(Buffer.from(claims!, 'base64url').toString('utf8')) as Json;
    changed['x-ms-sevsnpvm-is-debuggable'] = true;
    const altered = `${header}.${b64url(JSON.stringify(changed))}.${signature}`;
    const url = `${running.url}/keys/parma-sim-key/release?api-version=7.4`;
    azureRefusal(await post(url, { target: altered }), 403, 'VERIFY_TOKEN_SIGNATURE');
    const other = createFakeSnp({ ...OPTIONS, seed: 93 }).token();
    azureRefusal(await post(url, { target: other }), 403, 'VERIFY_TOKEN_SIGNATURE');
    azureRefusal(await post(url, { target: 'not.a-token' }), 400, 'VERIFY_BAD_TOKEN');
    await stillServes(running.url);
  });
});

test('server/attestation: a token replayed to a vault whose time is past its exp is refused '
  + 'with VERIFY_TOKEN_TIME', async () => {
  const token = createFakeSnp(OPTIONS).token({ runtimeData: '{"keys":[]}' });
  await withServer({ ...OPTIONS, time: '2026-01-01T08:00:00Z' }, async (_fake, running) => {
    const answer = await post(`${running.url}/keys/parma-sim-key/release?api-version=7.4`,
      { target: token });
    azureRefusal(answer, 403, 'VERIFY_TOKEN_TIME');
    await stillServes(running.url);
  });
});

test('server/attestation: with a wrong VCEK served for the guest\'s chip, /attest/maa is '
  + 'refused with VERIFY_BAD_SIGNATURE while the library\'s token() (genuine chain) succeeds',
async () => {
  const options: FakeSnpOptions = { ...OPTIONS, faults: { wrongCertificate: ['milan'] } };
  await withServer(options, async (fake, running) => {
    const answer = await post(`${running.url}/attest/maa`, {
      maa_endpoint: fake.attestationEndpoints.maaEndpoint, runtime_data: b64('{}') });
    sidecarRefusal(answer, 'VERIFY_BAD_SIGNATURE', 'signature');
    assert.is(fake.token().split('.').length, 3);
    await stillServes(running.url);
  });
});

test.run();

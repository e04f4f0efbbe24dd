/**
 * Goal: the attestation half of `createFakeSnp` works as a library with no socket: token()
 *   gives a token that verifies under jwks() and speaks for the configured guest, releaseKey()
 *   gives the configured key as the sidecar would, the `kds` fetch handler serves the sidecar's,
 *   MAA's and AKV's routes in-process, a refused release leaves the vault as it was, and bad
 *   attestation options are refused with SIM_USAGE naming the option.
 * Method: jose (createLocalJWKSet, jwtVerify) judges tokens; expected HOST_DATA and material are
 *   the test's own constants; "the vault as it was" is checked by comparing the bytes of the next
 *   granted release with those of a fresh fake's first release (the wrap randomness comes from
 *   the vault's stream, which only a granted release advances).
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode, SimError } from '../../sim/kernel/errors.js';
import { rngStateOf } from '../../sim/kernel/rng.js';
import { rsaKeyFromStream } from '../../models/verifier/jwt-keys.js';
import { createFakeSnp } from '../../sim/server.js';
import type { FakeSnpOptions } from '../../sim/server/config.js';

const AT = new Date('2026-01-01T00:00:01Z');
const HOST_DATA = '7a'.repeat(32);
const MATERIAL = '0f'.repeat(48);
const OPTIONS: FakeSnpOptions = { seed: 94, guest: { hostData: HOST_DATA },
  keyVault: { keys: [{ name: 'app-key', material: MATERIAL }] } };

test('server/library: token() verifies with jose under jwks(), from the configured issuer, '
  + 'for the configured HOST_DATA and runtime data', async () => {
  const fake = createFakeSnp(OPTIONS);
  const token = fake.token({ runtimeData: '{"nonce":"lib-1"}' });
  const keys = createLocalJWKSet({ keys: fake.jwks().keys.map((key) => ({ ...key })) });
  const { payload } = await jwtVerify(token, keys,
    { issuer: fake.attestationEndpoints.issuer, currentDate: AT });
  assert.is(payload['x-ms-sevsnpvm-hostdata'], HOST_DATA);
  assert.equal(payload['x-ms-runtime'], { nonce: 'lib-1' });
  assert.is(fake.attestationEndpoints.issuer,
    `https://${fake.attestationEndpoints.maaEndpoint}`);
});

test('server/library: releaseKey() returns the configured material as an oct JWK', () => {
  const fake = createFakeSnp(OPTIONS);
  assert.equal(fake.attestationEndpoints.keyNames, ['app-key']);
  assert.equal({ ...fake.releaseKey() },
    { kty: 'oct', k: Buffer.from(MATERIAL, 'hex').toString('base64url') });
});

test('server/library: a refused releaseKey() throws VERIFY_TOKEN_ISSUER with every failure '
  + 'in detail.failures', () => {
  const fake = createFakeSnp(OPTIONS);
  let caught: unknown;
  try {
    fake.releaseKey({ maaEndpoint: 'elsewhere.attest.test' });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SimError);
  assert.is(caught.code, 'VERIFY_TOKEN_ISSUER');
  assert.equal((caught.detail['failures'] as { code: string }[]).map((f) => f.code),
    ['VERIFY_TOKEN_ISSUER']);
});

async function call(fake: ReturnType<typeof createFakeSnp>, path: string,
  body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fake.kds(new Request(`http://fake.test${path}`,
    { method: 'POST', body: JSON.stringify(body) }));
  return { status: response.status, json: await response.json() as Record<string, unknown> };
}

test('server/library: the kds handler serves /attest/maa, /key/release and AKV\'s release '
  + 'in-process; a refused release leaves the vault as it was', async () => {
  const container = rsaKeyFromStream(rngStateOf('test/server/container-key'));
  const runtimeData = JSON.stringify({ keys: [container.publicJwk] });
  const akvRelease = async (fake: ReturnType<typeof createFakeSnp>) => {
    const maa = await call(fake, '/attest/maa', { maa_endpoint:
      fake.attestationEndpoints.maaEndpoint, runtime_data: Buffer.from(runtimeData)
      .toString('base64') });
    assert.is(maa.status, 200);
    return call(fake, '/keys/app-key/release?api-version=7.4', { target: maa.json['token'] });
  };
  const fresh = await akvRelease(createFakeSnp(OPTIONS));
  assert.is(fresh.status, 200);
  const fake = createFakeSnp(OPTIONS);
  const refused = await call(fake, '/key/release', { maa_endpoint: 'elsewhere.attest.test',
    akv_endpoint: fake.attestationEndpoints.akvEndpoint, kid: 'app-key' });
  assert.is(refused.status, 403);
  const after = await akvRelease(fake);
  assert.is(after.json['value'], fresh.json['value'], 'the refusal moved nothing');
  const sidecar = await call(fake, '/key/release', { maa_endpoint:
    fake.attestationEndpoints.maaEndpoint, akv_endpoint: fake.attestationEndpoints.akvEndpoint,
  kid: 'app-key' });
  assert.equal(JSON.parse(String(sidecar.json['key'])), { ...fake.releaseKey() });
  const again = await akvRelease(fake);
  assert.not.equal(again.json['value'], after.json['value'], 'a granted release moves the vault');
});

const BAD_OPTIONS: readonly (readonly [string, unknown, string])[] = [
  ['a time before the sim epoch', { time: '2025-12-31T23:59:59Z' }, 'time'],
  ['a time that is not UTC ISO 8601', { time: 'tomorrow' }, 'time'],
  ['a token service endpoint that is a URL', { tokenService: { endpoint: 'https://x.test' } },
    'tokenService.endpoint'],
  ['a lifetime of zero', { tokenService: { lifetimeSeconds: 0 } },
    'tokenService.lifetimeSeconds'],
  ['an endorsed measurement of 32 bytes', { tokenService: { endorsedMeasurements:
    ['00'.repeat(32)] } }, 'tokenService.endorsedMeasurements[0]'],
  ['two keys with one name', { keyVault: { keys: [{ name: 'a' }, { name: 'a' }] } },
    'keyVault.keys'],
  ['a key name with a slash', { keyVault: { keys: [{ name: 'a/b' }] } },
    'keyVault.keys[0].name'],
  ['a release policy without anyOf', { keyVault: { keys: [{ name: 'a',
    releasePolicy: { version: '1.0.0' } }] } }, 'keyVault.keys[0].releasePolicy'],
  ['an unknown key option', { keyVault: { keys: [{ name: 'a', policy: {} }] } },
    'keyVault.keys[0].policy'],
];

for (const [what, options, path] of BAD_OPTIONS) {
  test(`server/library: createFakeSnp refuses ${what} with SIM_USAGE naming ${path}`, () => {
    assert.is(errorCode(() => createFakeSnp(options as never)), 'SIM_USAGE');
    try {
      createFakeSnp(options as never);
    } catch (error) {
      assert.is((error as SimError).detail['config'], path);
    }
  });
}

test.run();

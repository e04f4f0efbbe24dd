/**
 * Goal: every HTTP route of the fake SNP server (sim/server: KDS, THIM, ACC, the sidecar, MAA,
 * AKV) under mutations of a valid request to it: the answer is a status the route can give (2xx
 * or 4xx with a reason; never 500, which is what an exception inside becomes), within a bound,
 * and the server keeps serving; a refused key release leaves the vault as it was.
 * Method: fast-check (fixed seeds; fuzz/harness.ts) drives the in-process handler
 * (`createFakeSnp().kds`). The seeds are valid requests to each route, built from the server's own
 * answers (a raw report, the THIM chain, an MAA token), as a client would; mutations edit the
 * path segments (fuzz/mutators.ts words), the query, the method, the headers, or the body (JSON
 * edits, also inside nested base64url JSON, and byte edits). After the run, a benign vault
 * release gives the value a fresh server gives when no fuzzed release was granted.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createFakeSnp, type FakeSnp } from '../../sim/server.js';
import { fuzzParameters, fuzzRuns, labelled, outcomeAsync, ranNote } from './harness.js';
import { mutatedBytes, mutatedJson, mutatedWords } from './mutators.js';

const SUITE = 'fuzz/server';
const BOUND_MS = 5_000;
const OPTIONS = { seed: 61 };

type Seed = Readonly<{ method: string; path: string; query: string; json?: unknown;
  headers?: Readonly<Record<string, string>> }>;
type Sent = Readonly<{ method: string; target: string; headers: Record<string, string>;
  body?: Uint8Array }>;

const b64 = (text: string | Uint8Array): string => Buffer.from(text).toString('base64');
const b64url = (text: string | Uint8Array): string => Buffer.from(text).toString('base64url');

async function send(fake: FakeSnp, r: Sent): Promise<Response> {
  const init: RequestInit = { method: r.method, headers: r.headers };
  if (r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD') init.body = r.body;
  return fake.kds(new Request(`http://fake.test${r.target}`, init));
}

async function jsonOf(fake: FakeSnp, r: Sent): Promise<Record<string, unknown>> {
  const response = await send(fake, r);
  assert.is(response.status, 200, `${r.method} ${r.target}`);
  return await response.json() as Record<string, unknown>;
}

/** A valid request to every route, built from the server's own answers. */
async function seedsOf(fake: FakeSnp): Promise<Seed[]> {
  const chip = fake.chips[0]!;
  const { maaEndpoint, akvEndpoint } = fake.attestationEndpoints;
  const runtime = JSON.stringify({ keys: [] });
  const post = (path: string, json: unknown, query = ''): Seed =>
    ({ method: 'POST', path, query, json });
  const raw = await jsonOf(fake, { method: 'POST', target: '/attest/raw', headers: {},
    body: new TextEncoder().encode(JSON.stringify({ runtime_data: b64(runtime) })) });
  const thim = await jsonOf(fake, { method: 'GET', target: '/metadata/THIM/amd/certification',
    headers: { metadata: 'true' } });
  const bundle = JSON.stringify({ SnpReport: b64url(Buffer.from(String(raw['report']), 'hex')),
    VcekCertChain: b64url(String(thim['vcekCert']) + String(thim['certificateChain'])) });
  const maa = await jsonOf(fake, { method: 'POST', target: '/attest/maa', headers: {},
    body: new TextEncoder().encode(JSON.stringify({ maa_endpoint: maaEndpoint,
      runtime_data: b64(runtime) })) });
  const [vcekPath, vcekQuery] = chip.kdsVcekPath.split('?') as [string, string];
  const tcbm = chip.reportedTcb.toString(16);
  return [
    { method: 'GET', path: '/status', query: '' },
    post('/attest/raw', { runtime_data: b64(runtime) }),
    post('/attest/combined', { runtime_data: b64(runtime) }),
    { method: 'GET', path: vcekPath, query: `?${vcekQuery}` },
    { method: 'GET', path: `/vcek/v1/${chip.product}/cert_chain`, query: '' },
    { method: 'GET', path: `/vlek/v1/${chip.product}/cert_chain`, query: '' },
    { method: 'GET', path: `/vcek/v1/${chip.product}/crl`, query: '' },
    { method: 'GET', path: `/vlek/v1/${chip.product}/crl`, query: '' },
    { method: 'GET', path: '/metadata/THIM/amd/certification', query: '',
      headers: { metadata: 'true' } },
    { method: 'GET', path: `/SevSnpVM/certificates/${Buffer.from(chip.chipId).toString('hex')}/`
      + tcbm, query: '' },
    post('/attest/maa', { maa_endpoint: maaEndpoint, runtime_data: b64(runtime) }),
    post('/key/release', { maa_endpoint: maaEndpoint, akv_endpoint: akvEndpoint,
      kid: 'parma-sim-key' }),
    post('/attest/SevSnpVm', { report: b64url(bundle), runtimeData: { data: b64url(runtime),
      dataType: 'JSON' }, nonce: 'n' }, '?api-version=2022-08-01'),
    { method: 'GET', path: '/certs', query: '' },
    { method: 'GET', path: '/.well-known/openid-configuration', query: '' },
    post('/keys/parma-sim-key/release', { target: maa['token'] }, '?api-version=7.4'),
    post('/keys/parma-sim-key/1/release', { target: maa['token'] }, '?api-version=7.4'),
  ];
}

const PATH_WORDS = ['vcek', 'vlek', 'v1', 'Milan', 'Genoa', 'Turin', 'cert_chain', 'crl', 'attest',
  'key', 'keys', 'release', '..', '.', '', '%00', '%2F', 'a'.repeat(300), 'SevSnpVM'];

function mutations(seed: Seed): fc.Arbitrary<Sent> {
  const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
  const base: Sent = { method: seed.method, target: seed.path + seed.query,
    headers: { ...seed.headers }, ...(seed.json === undefined ? {} : { body: encode(seed.json) }) };
  const segments = seed.path.split('/').slice(1);
  return fc.oneof(
    mutatedWords(segments, PATH_WORDS).map((s) => ({ ...base, target: `/${s.join('/')}${seed.query}` })),
    fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }).map((q) => `?${q}`),
      fc.constantFrom('?api-version=', '?api-version=7.4&api-version=x', '?blSPL=1&blSPL=2',
        '?ucodeSPL=999999999999999999999', '?%ZZ'))
      .map((query) => ({ ...base, target: seed.path + query })),
    fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH')
      .map((method) => ({ ...base, method })),
    fc.dictionary(fc.constantFrom('metadata', 'content-type', 'authorization', 'x-ms-version'),
      fc.string({ maxLength: 20 }).filter((v) => /^[\x20-\x7e]*$/.test(v)))
      .map((headers) => ({ ...base, headers })),
    ...(seed.json === undefined ? [] : [
      mutatedJson(seed.json).map((json) => ({ ...base, body: encode(json) })),
      mutatedBytes(encode(seed.json)).map((body) => ({ ...base, body })),
    ]),
  );
}

test(`${SUITE}: mutated requests to every route get a 2xx or a 4xx with a reason, never an `
  + 'internal error, and the server keeps serving', async () => {
  const fake = createFakeSnp(OPTIONS);
  const seeds = await seedsOf(fake);
  const arbitrary = fc.oneof(...seeds.map((seed) => mutations(seed).map((sent) =>
    labelled({ sent }, `${sent.method} ${sent.target.slice(0, 200)} headers `
      + `${JSON.stringify(sent.headers)} body ${sent.body === undefined ? '-'
        : JSON.stringify(new TextDecoder().decode(sent.body).slice(0, 300))}`))));
  let granted = 0;
  await fc.assert(fc.asyncProperty(arbitrary, async ({ sent }) => {
    const answer = await outcomeAsync(async () => {
      const response = await send(fake, sent);
      return { status: response.status, text: await response.text() };
    }, BOUND_MS);
    assert.ok(answer.ok, 'the handler never rejects');
    if (!answer.ok) return;
    const { status, text } = answer.value;
    assert.ok((status >= 200 && status < 300) || (status >= 400 && status < 500),
      `status ${status}: ${text.slice(0, 200)}`);
    if (status >= 400 && sent.method !== 'HEAD') assert.ok(text.trim().length > 0, 'a reason');
    if (status === 200 && /release/.test(sent.target) && sent.method === 'POST') granted++;
  }), fuzzParameters(1701, 500));
  const status = await send(fake, { method: 'GET', target: '/status', headers: {} });
  assert.is(status.status, 200, 'the server still serves');
  if (granted === 0) {
    // No fuzzed release was granted: the vault must be where a fresh server's is.
    const releaseOf = async (f: FakeSnp): Promise<unknown> => {
      const token = (await seedsOf(f)).find((s) => s.path === '/keys/parma-sim-key/release')!;
      return (await jsonOf(f, { method: 'POST', target: `${token.path}${token.query}`,
        headers: {}, body: new TextEncoder().encode(JSON.stringify(token.json)) }))['value'];
    };
    assert.equal(await releaseOf(fake), await releaseOf(createFakeSnp(OPTIONS)),
      'refused releases moved the vault');
  }
  console.log(`${ranNote('server', fuzzRuns(500))} over ${seeds.length} routes, ${granted} `
    + 'releases granted');
});

test.run();

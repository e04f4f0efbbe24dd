/**
 * Goal: every malformed request — a bad path, a bad hwid or SPL, an unknown product, a wrong
 * method, a body that is not JSON or lacks runtime_data, a sidecar `/attest/maa` or
 * `/key/release` body missing a field or naming no host, an MAA or AKV request without
 * api-version or with no request in its body, a huge body, bytes that are not HTTP — gets the
 * 4xx its kind calls for with a text or JSON reason, and the server keeps serving.
 * Method: fast-check (fixed seeds) generates requests that are malformed by construction, each
 * kind with its expected status; they go to the in-process handler and to a live socket; after
 * each property the server must still answer GET /status with 200.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFakeSnp, type FakeSnp } from '../../sim/server.js';
import { withServer } from './support.js';

type Malformed = Readonly<{ method: string; path: string; body?: Uint8Array; expect: number }>;

const fake = createFakeSnp({ seed: 51 });
const milanHwid = fake.chips[0]!.hwid;
const HEX128 = /^[0-9a-fA-F]{128}$/;
const segment = fc.stringMatching(/^[A-Za-z0-9_.~-]{1,24}$/);

const unknownPath = fc.array(segment, { minLength: 1, maxLength: 5 })
  .filter((parts) => !['vcek', 'vlek', 'metadata', 'SevSnpVM', 'status', 'attest', 'key', 'keys',
    'certs', '.well-known'].includes(parts[0]!))
  .map((parts): Malformed => ({ method: 'GET', path: `/${parts.join('/')}`, expect: 404 }));

const badHwid = fc.stringMatching(/^[0-9a-zA-Z]{1,200}$/)
  .filter((s) => !HEX128.test(s) && s !== 'cert_chain' && s !== 'crl')
  .map((hwid): Malformed => ({ method: 'GET', expect: 400,
    path: `/vcek/v1/Milan/${hwid}?blSPL=1&teeSPL=0&snpSPL=1&ucodeSPL=1` }));

const badSplValue = fc.oneof(fc.integer({ min: 256, max: 1e9 }).map(String),
  fc.integer({ min: -1e6, max: -1 }).map(String), fc.stringMatching(/^[a-z.+-]{1,8}$/));
const badQuery = fc.tuple(fc.constantFrom('blSPL', 'teeSPL', 'snpSPL', 'ucodeSPL'), badSplValue)
  .map(([name, value]): Malformed => {
    const query = new URLSearchParams({ blSPL: '1', teeSPL: '0', snpSPL: '1', ucodeSPL: '1' });
    query.set(name, value);
    return { method: 'GET', path: `/vcek/v1/Milan/${milanHwid}?${query}`, expect: 400 };
  });
const missingSpl = fc.constantFrom('blSPL', 'teeSPL', 'snpSPL', 'ucodeSPL').map((name) => {
  const query = new URLSearchParams({ blSPL: '1', teeSPL: '0', snpSPL: '1', ucodeSPL: '1' });
  query.delete(name);
  return { method: 'GET', path: `/vcek/v1/Milan/${milanHwid}?${query}`, expect: 400 };
});

const unknownProduct = fc.tuple(segment, fc.constantFrom('cert_chain', 'crl'),
  fc.constantFrom('vcek', 'vlek'))
  .filter(([product]) => !['Milan', 'Genoa', 'Turin'].includes(product))
  .map(([product, leaf, kind]): Malformed => ({
    method: 'GET', path: `/${kind}/v1/${product}/${leaf}`, expect: 404,
  }));

const wrongMethod = fc.oneof(
  fc.tuple(fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH'),
    fc.constantFrom('/status', '/vcek/v1/Milan/cert_chain', '/metadata/THIM/amd/certification',
      '/certs', '/.well-known/openid-configuration')),
  fc.tuple(fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'),
    fc.constantFrom('/attest/raw', '/attest/combined', '/attest/maa', '/key/release',
      '/attest/SevSnpVm?api-version=2022-08-01', '/keys/parma-sim-key/release?api-version=7.4')),
).map(([method, path]): Malformed => ({ method, path, expect: 405 }));

const encoder = new TextEncoder();
/** True when the bytes happen to be a valid sidecar request (never generated on purpose). */
function validSidecarBody(bytes: Uint8Array): boolean {
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
    const data = (value as Record<string, unknown> | null)?.['runtime_data'];
    return typeof data === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(data);
  } catch {
    return false;
  }
}
const badSidecarBody = fc.tuple(fc.constantFrom('/attest/raw', '/attest/combined'), fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.jsonValue().map((v) => encoder.encode(JSON.stringify(v))),
  fc.jsonValue().map((v) => encoder.encode(JSON.stringify({ runtime_data: v }))),
  fc.string().map((s) => encoder.encode(JSON.stringify({ runtime_data: `${s}*` }))),
)).filter(([, body]) => !validSidecarBody(body))
  .map(([path, body]): Malformed => ({ method: 'POST', path, body, expect: 400 }));

const { maaEndpoint, akvEndpoint } = fake.attestationEndpoints;
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
/** A member that is not a usable host name: absent, not a string, or with a scheme, path, space. */
const badHost = fc.oneof(fc.constant(undefined), fc.constant(''),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())),
  fc.tuple(fc.constantFrom('https://', 'x/', ' ', 'a b.', '-'), segment).map(([p, s]) => p + s));
/**
 * runtime_data that is missing, not standard base64, or base64 of bytes that are no JSON object.
 */
const badRuntime = fc.oneof(fc.constant(undefined), fc.integer(),
  fc.string().map((s) => `${s}*`),
  fc.jsonValue().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
    .map((v) => base64(json(v))),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => base64(Uint8Array.of(0xff, ...b))));
const goodRuntime = base64(json({ keys: [] }));

const badMaaBody = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.jsonValue().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map(json),
  badHost.map((host) => json({ maa_endpoint: host, runtime_data: goodRuntime })),
  badRuntime.map((runtime) => json({ maa_endpoint: maaEndpoint, runtime_data: runtime })),
).map((body): Malformed => ({ method: 'POST', path: '/attest/maa', body, expect: 400 }));

const RELEASE = { maa_endpoint: maaEndpoint, akv_endpoint: akvEndpoint, kid: 'parma-sim-key' };
const badKeyReleaseBody = fc.oneof(
  fc.constantFrom('maa_endpoint', 'akv_endpoint', 'kid').chain((name) =>
    fc.oneof(fc.constant(undefined), fc.constant(''), fc.integer(), fc.constant(null))
      .map((value) => json({ ...RELEASE, [name]: value }))),
  fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string()))
    .map((token) => json({ ...RELEASE, access_token: token })),
  fc.constantFrom('maa_endpoint', 'akv_endpoint').chain((name) =>
    badHost.filter((h) => typeof h === 'string' && h.length > 0)
      .map((host) => json({ ...RELEASE, [name]: host }))),
  fc.uint8Array({ maxLength: 200 }),
).map((body): Malformed => ({ method: 'POST', path: '/key/release', body, expect: 400 }));

/** Bodies that are never Azure requests: bytes, non-objects, objects without `enc` or a token. */
const azureBadBody = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.jsonValue().map(json),
  fc.dictionary(fc.string(), fc.jsonValue()).map(json),
  fc.string().map((target) => json({ target })))
  .filter((bytes) => !new TextDecoder().decode(bytes).includes('"enc"'));
const badAzureRequest = fc.tuple(fc.constantFrom('/attest/SevSnpVm',
  '/keys/parma-sim-key/release'), fc.boolean(), azureBadBody)
  .map(([path, versioned, body]): Malformed => ({ method: 'POST', body, expect: 400,
    path: versioned ? `${path}?api-version=2022-08-01` : path }));

const KINDS: readonly (readonly [string, fc.Arbitrary<Malformed>])[] = [
  ['an unknown path (404)', unknownPath],
  ['a malformed hwid (400)', badHwid],
  ['an SPL out of 0..255 or not a number (400)', badQuery],
  ['a missing SPL (400)', missingSpl],
  ['an unknown product (404)', unknownProduct],
  ['a method the route does not serve (405)', wrongMethod],
  ['a sidecar body that is not JSON with base64 runtime_data (400)', badSidecarBody],
  ['an /attest/maa body without a host maa_endpoint and base64 JSON runtime_data (400)',
    badMaaBody],
  ['a /key/release body missing a field, or with a bad host or access_token (400)',
    badKeyReleaseBody],
  ['an MAA or AKV request without api-version or with a body that is no request (400)',
    badAzureRequest],
];

type Send = (request: Malformed) => Promise<Response>;

async function judged(send: Send, request: Malformed): Promise<void> {
  const response = await send(request);
  const text = await response.text();
  assert.is(response.status, request.expect, `${request.method} ${request.path}: ${text}`);
  const type = response.headers.get('content-type') ?? '';
  assert.ok(text.trim().length > 0, 'a reason is given');
  if (type.startsWith('application/json')) {
    const error = (JSON.parse(text) as Record<string, unknown>)['error'];
    const message = typeof error === 'object' && error !== null
      ? (error as Record<string, unknown>)['message'] : error;   // Azure: {error: {code, message}}
    assert.type(message, 'string');
  } else assert.is(type, 'text/plain; charset=utf-8');
}

function sender(base: string, fetcher: (request: Request) => Promise<Response>): Send {
  return (request) => fetcher(new Request(`${base}${request.path}`, {
    method: request.method, ...(request.body === undefined ? {} : { body: request.body }),
  }));
}

async function stillServes(send: Send): Promise<void> {
  const response = await send({ method: 'GET', path: '/status', expect: 200 });
  assert.is(response.status, 200);
  assert.equal(await response.json(), { message: 'Status OK' });
}

KINDS.forEach(([what, arbitrary], index) => {
  test(`server/robustness: ${what} — in-process handler, 100 generated requests`, async () => {
    const send = sender('http://fake.test', fake.kds);
    await fc.assert(fc.asyncProperty(arbitrary, (request) => judged(send, request)),
      { numRuns: 100, seed: 5100 + index });
    await stillServes(send);
  });
});

test('server/robustness: every kind of malformed request over a live socket, 25 of each, then '
  + 'the server still serves', async () => {
  await withServer({ seed: 52 }, async (_f: FakeSnp, running) => {
    const send = sender(running.url, (request) => fetch(request));
    for (const [index, [, arbitrary]] of KINDS.entries()) {
      await fc.assert(fc.asyncProperty(arbitrary, (request) => judged(send, request)),
        { numRuns: 25, seed: 5200 + index });
    }
    await stillServes(send);
  });
});

test('server/robustness: a body over 1 MiB is 413 on the socket and in-process', async () => {
  const huge = new Uint8Array((1 << 20) + 1).fill(0x41);
  const request: Malformed = { method: 'POST', path: '/attest/raw', body: huge, expect: 413 };
  await judged(sender('http://fake.test', fake.kds), request);
  await withServer({ seed: 53 }, async (_f, running) => {
    const send = sender(running.url, (r) => fetch(r));
    await judged(send, request);
    await stillServes(send);
  });
});

function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk) => { answer += chunk.toString('latin1'); });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('server/robustness: bytes that are not HTTP get 400 and the server keeps serving',
  async () => {
    await withServer({ seed: 54 }, async (_f, running) => {
      for (const garbage of ['\u0000\u0001\u0002\r\n\r\n', 'GET /status HTTP/9.9\r\n\r\n',
        'GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n', 'BREW /pot HTCPCP/1.0\r\n\r\n']) {
        const answer = await rawExchange(running.port, garbage);
        assert.match(answer, /^HTTP\/1\.1 400 /, JSON.stringify(garbage));
      }
      await stillServes(sender(running.url, (r) => fetch(r)));
    });
  });

test.run();

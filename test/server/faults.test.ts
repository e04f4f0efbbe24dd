/**
 * Goal: injected faults are repeatable and behave like the real failures they stand for: AMD KDS's
 * 429 with Retry-After, 503, latency, bodies cut off mid-transfer, and a wrong VCEK for a chip;
 * a client with retries gets through on the schedule the seed determines.
 * Method: the same options run twice (a live socket and the in-process handler) must fail the same
 * requests; the observed 429 share must be near the configured ratio; a retrying client (the
 * confidential sidecar's rule: retry 408/429/5xx, here waiting Retry-After on a virtual clock) is
 * run against a server and its attempts compared with a probe of an identical server.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { createFakeSnp } from '../../sim/server.js';
import type { FakeSnpOptions } from '../../sim/server/config.js';
import { pemBlocks, withServer } from './support.js';

const RATE_429: FakeSnpOptions = {
  seed: 41, faults: { routes: { 'kds.vcek': { tooManyRequests: '1/4' } } },
};

function vcekPath(options: FakeSnpOptions): string {
  return createFakeSnp(options).chips[0]!.kdsVcekPath;
}

async function statuses(fetcher: (url: string) => Promise<Response>, base: string, path: string,
  count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetcher(`${base}${path}`);
    await response.arrayBuffer();
    out.push(response.status);
  }
  return out;
}

test('server/faults: one seed fails the same requests on a live socket and in-process, and as '
  + 'faultSchedule says', async () => {
  const path = vcekPath(RATE_429);
  const live = await withServer(RATE_429, (_f, running) =>
    statuses((url) => fetch(url), running.url, path, 120));
  const fake = createFakeSnp(RATE_429);
  const inProcess = await statuses((url) => fake.kds(new Request(url)), 'http://kds.test', path,
    120);
  assert.equal(live, inProcess);
  assert.equal(live, live.map((_s, i) => fake.faultSchedule('kds.vcek', i).status ?? 200));
  assert.ok(live.includes(429) && live.includes(200));
});

test('server/faults: a 1/4 rate of 429 fails between 60 and 140 of 400 requests', async () => {
  const fake = createFakeSnp(RATE_429);
  const seen = await statuses((url) => fake.kds(new Request(url)), 'http://kds.test',
    vcekPath(RATE_429), 400);
  const failed = seen.filter((s) => s === 429).length;
  assert.ok(failed >= 60 && failed <= 140, `${failed} of 400`);
  assert.ok(seen.every((s) => s === 200 || s === 429));
});

test('server/faults: another fault seed gives another schedule', async () => {
  const other = { ...RATE_429, faults: { ...RATE_429.faults, seed: 'another' } };
  const a = createFakeSnp(RATE_429);
  const b = createFakeSnp(other);
  const plan = (fake: typeof a) =>
    Array.from({ length: 64 }, (_v, i) => fake.faultSchedule('kds.vcek', i).status ?? 200);
  assert.not.equal(plan(a), plan(b));
  assert.equal(plan(a), plan(createFakeSnp(RATE_429)));
});

test('server/faults: a KDS 429 carries Retry-After 10 and a short text body; a sidecar 503 a JSON '
  + 'error', async () => {
  const options: FakeSnpOptions = { seed: 42, faults: { routes: {
    'kds.cert_chain': { tooManyRequests: '1/1' },
    'sidecar.status': { serviceUnavailable: '1/1', retryAfterSeconds: 3 },
  } } };
  await withServer(options, async (_fake, running) => {
    const kds = await fetch(`${running.url}/vcek/v1/Milan/cert_chain`);
    assert.is(kds.status, 429);
    assert.is(kds.headers.get('retry-after'), '10');
    assert.is(kds.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.is(await kds.text(), 'Too Many Requests\n');
    const status = await fetch(`${running.url}/status`);
    assert.is(status.status, 503);
    assert.is(status.headers.get('retry-after'), '3');
    assert.equal(await status.json(), { error: 'Service Unavailable' });
  });
});

/** The sidecar's retry rule (retry 408, 429, 5xx; here up to 8 attempts), on a virtual clock. */
async function fetchWithRetries(url: string): Promise<{ attempts: number; waitedSeconds: number;
  body: Uint8Array }> {
  let waitedSeconds = 0;
  for (let attempt = 1; attempt <= 8; attempt++) {
    const response = await fetch(url);
    const body = new Uint8Array(await response.arrayBuffer());
    if (response.status === 200) return { attempts: attempt, waitedSeconds, body };
    assert.ok([408, 429, 503].includes(response.status), `retryable: ${response.status}`);
    waitedSeconds += Number(response.headers.get('retry-after') ?? '1');
  }
  throw new Error('gave up after 8 attempts');
}

test('server/faults: a retrying client gets the VCEK on the attempt the seed determines, having '
  + 'waited Retry-After seconds per refusal', async () => {
  const options: FakeSnpOptions = { seed: 43, faults: { seed: 5, routes: {
    'kds.vcek': { tooManyRequests: '2/3', serviceUnavailable: '1/2' } } } };
  const path = vcekPath(options);
  const probe = createFakeSnp(options);
  let firstSuccess = 0;
  while ((await probe.kds(new Request(`http://kds.test${path}`))).status !== 200) firstSuccess++;
  assert.ok(firstSuccess >= 1, 'the seed makes at least the first request fail');
  await withServer(options, async (fake, running) => {
    const result = await fetchWithRetries(`${running.url}${path}`);
    assert.is(result.attempts, firstSuccess + 1);
    assert.is(result.waitedSeconds, 10 * firstSuccess);
    assert.equal([...result.body], [...fake.certs().endorsementCert]);
  });
});

test('server/faults: bodies the schedule truncates break off on the socket; the rest arrive '
  + 'whole, and the server keeps serving', async () => {
  const options: FakeSnpOptions = { seed: 44, faults: { routes: {
    'kds.vcek': { truncate: '1/2' } } } };
  await withServer(options, async (fake, running) => {
    const url = `${running.url}${fake.chips[0]!.kdsVcekPath}`;
    const whole = fake.certs().endorsementCert;
    for (let i = 0; i < 16; i++) {
      const truncated = fake.faultSchedule('kds.vcek', i).truncatePermille !== undefined;
      const response = await fetch(url);
      assert.is(response.headers.get('content-length'), `${whole.length}`);
      const body = await response.arrayBuffer().then((b) => new Uint8Array(b), () => undefined);
      if (truncated) assert.is(body, undefined, `request ${i} should break off`);
      else assert.equal([...body!], [...whole], `request ${i} arrives whole`);
    }
    assert.is((await fetch(`${running.url}/status`)).status, 200);
  });
});

test('server/faults: latency is virtual by default (a header), and slept only with realDelay',
  async () => {
    const rule = { 'sidecar.status': { latencyMs: [150, 150] as const } };
    const virtual = createFakeSnp({ seed: 45, faults: { routes: rule } });
    const response = await virtual.kds(new Request('http://sidecar.test/status'));
    assert.is(response.headers.get('x-parma-sim-latency-ms'), '150');
    const real = createFakeSnp({ seed: 45, faults: { routes: rule, realDelay: true } });
    const started = process.hrtime.bigint();
    assert.is((await real.kds(new Request('http://sidecar.test/status'))).status, 200);
    assert.ok(process.hrtime.bigint() - started >= 140_000_000n, 'slept about 150 ms');
  });

test('server/faults: a chip with a wrong certificate gets a VCEK that chains to the ARK but does '
  + 'not verify its reports (VERIFY_BAD_SIGNATURE); other chips are unaffected', async () => {
  const options: FakeSnpOptions = { seed: 46, faults: { wrongCertificate: ['genoa'] } };
  await withServer(options, async (fake, running) => {
    for (const chip of fake.chips) {
      const vcek = new Uint8Array(await (await fetch(`${running.url}${chip.kdsVcekPath}`))
        .arrayBuffer());
      const chain = pemBlocks(await (await fetch(
        `${running.url}/vcek/v1/${chip.product}/cert_chain`)).text());
      const verdict = verifyAttestationReport(fake.report({ chip: chip.name }),
        { vcek, ask: chain[0]!, ark: chain[1]! }, { trustAnchors: parmaSimTestAnchors() });
      const codes = verdict.failures.map((f) => f.code);
      if (chip.name === 'genoa') assert.equal(codes, ['VERIFY_BAD_SIGNATURE']);
      else assert.equal(codes, [], chip.name);
    }
  });
});

test('server/faults: the attestation routes fail where the schedule says, like the others: '
  + '/attest/maa 429, /key/release 503, /attest/SevSnpVm 429 in Azure\'s error shape, /certs '
  + 'bodies cut short; between faults they answer', async () => {
  const options: FakeSnpOptions = { seed: 47, faults: { routes: {
    'attest.maa': { tooManyRequests: '1/2' }, 'key.release': { serviceUnavailable: '1/2' },
    'maa.attest': { tooManyRequests: '1/1', retryAfterSeconds: 2 },
    'maa.certs': { truncate: '1/2' },
  } } };
  await withServer(options, async (fake, running) => {
    const { maaEndpoint, akvEndpoint } = fake.attestationEndpoints;
    const post = (path: string, body: unknown) =>
      fetch(`${running.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    const seen: { maa: number[]; release: number[] } = { maa: [], release: [] };
    for (let i = 0; i < 6; i++) {
      const maa = await post('/attest/maa', { maa_endpoint: maaEndpoint, runtime_data: 'e30=' });
      await maa.arrayBuffer();
      seen.maa.push(maa.status);
      const release = await post('/key/release',
        { maa_endpoint: maaEndpoint, akv_endpoint: akvEndpoint, kid: 'parma-sim-key' });
      await release.arrayBuffer();
      seen.release.push(release.status);
    }
    const planned = (route: string, ok: number) =>
      Array.from({ length: 6 }, (_v, i) => fake.faultSchedule(route, i).status ?? ok);
    assert.equal(seen.maa, planned('attest.maa', 200));
    assert.equal(seen.release, planned('key.release', 200));
    assert.ok(seen.maa.includes(429) && seen.maa.includes(200));
    assert.ok(seen.release.includes(503) && seen.release.includes(200));
    const direct = await post('/attest/SevSnpVm?api-version=2022-08-01', {});
    assert.is(direct.status, 429);
    assert.is(direct.headers.get('retry-after'), '2');
    assert.equal(await direct.json(),
      { error: { code: 'TooManyRequests', message: 'Too Many Requests' } });
    for (let i = 0; i < 8; i++) {
      const cut = fake.faultSchedule('maa.certs', i).truncatePermille !== undefined;
      const body = await (await fetch(`${running.url}/certs`)).json().then(() => 'whole',
        () => 'broken');
      assert.is(body, cut ? 'broken' : 'whole', `request ${i}`);
    }
  });
});

test.run();

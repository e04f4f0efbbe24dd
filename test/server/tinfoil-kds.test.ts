/**
 * Goal: a client nobody on this project wrote, @tinfoilsh/verifier 1.1.0 (dev dependency), runs
 * its whole SEV flow against parma-sim's fake backend alone: its bundle code fetches the VCEK from
 * its hard-coded KDS proxy (`https://kds-proxy.tinfoil.sh/vcek/v1/…`) through the global `fetch`,
 * and that fetch is answered by createFakeSnp's `kds` handler in-process (or, once, by `listen()`
 * on port 0). Genuine evidence is accepted; a wrong certificate served for the chip (the seeded
 * `wrongCertificate` fault) and tampered reports are rejected; no request leaves the process.
 * The README's worked example for a consumer's CI runs exactly as printed.
 * Method: `globalThis.fetch` is replaced by a recorder that rewrites only the origin of KDS URLs
 * (path and query as tinfoil built them) to parma-sim, answers the enclave and GitHub routes
 * tinfoil's `assembleAttestationBundle` also fetches with stubs (as tinfoil-interop.test.ts does)
 * and refuses anything else; `net.Socket.prototype.connect` records every connection attempt. The
 * report comes from the same fake (`report()`, a Genoa chip at firmware 1.55.40 so the report is
 * VERSION 3, which tinfoil can read). tinfoil's `Report`, `CertificateChain`, `verifyAttestation`
 * and `validateReport` come from its dist/ folder (its package exports only its client, whose roots
 * are AMD's); parma-sim's test ARK/ASK are injected as the roots. tinfoil's limitations
 * (tinfoil-interop.test.ts's header) bound what is shown: Genoa only, VCEK only, report v3 (or v5
 * with mitigation vector 0), certificate validity against the wall clock.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { X509Certificate } from '@freedomofpress/sigstore-browser';
import { assembleAttestationBundle, PredicateType } from '@tinfoilsh/verifier';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFakeSnp, type FakeSnp, type RunningFakeSnp } from '../../sim/server.js';
import type { FakeSnpOptions } from '../../sim/server/config.js';
import { REPO_ROOT } from '../support/paths.js';
import { OFFSET, hex, reportBytesAt } from './support.js';

// ---- tinfoil's SEV steps, from its dist/ folder, typed by what this test uses ----

type TinfoilReport = Readonly<{ productName: string }>;
type TinfoilChain = object;
type TinfoilSev = Readonly<{
  Report: new (bytes: Uint8Array) => TinfoilReport;
  CertificateChain: new (ark: X509Certificate, ask: X509Certificate,
    vcek: X509Certificate) => TinfoilChain;
  verifyAttestation: (chain: TinfoilChain, report: TinfoilReport) => Promise<boolean>;
  validateReport: (report: TinfoilReport, chain: TinfoilChain, options: object) => void;
  defaultValidationOptions: Readonly<{ platformInfo: object }>;
}>;

async function loadTinfoilSev(): Promise<TinfoilSev> {
  const index = import.meta.resolve('@tinfoilsh/verifier');
  const load = async (name: string): Promise<Record<string, unknown>> =>
    (await import(new URL(`sev/${name}.js`, index).href)) as Record<string, unknown>;
  const validation = await load('validation');
  return {
    Report: (await load('report'))['Report'] as TinfoilSev['Report'],
    CertificateChain: (await load('cert-chain'))['CertificateChain'] as
      TinfoilSev['CertificateChain'],
    verifyAttestation: (await load('verify'))['verifyAttestation'] as
      TinfoilSev['verifyAttestation'],
    validateReport: validation['validateReport'] as TinfoilSev['validateReport'],
    defaultValidationOptions: validation['defaultValidationOptions'] as
      TinfoilSev['defaultValidationOptions'],
  };
}

const sev = await loadTinfoilSev();

// ---- the recorded network: KDS to parma-sim, tinfoil's other routes stubbed ----

const KDS_PROXY = 'https://kds-proxy.tinfoil.sh';
const ENCLAVE = 'enclave.parma-sim.test';
const REPO = 'parma-sim/fake-enclave';
const DIGEST = 'cd'.repeat(32);

/** Where KDS requests go: the fake's handler in-process, or the live server over loopback. */
type KdsTarget = Readonly<{ kind: 'handler'; fake: FakeSnp }>
  | Readonly<{ kind: 'server'; running: RunningFakeSnp; fetch: typeof fetch }>;

type KdsExchange = Readonly<{
  asked: string; sentTo: string; status: number; route: string | null;
}>;

type Network = { urls: string[]; refused: string[]; kds: KdsExchange[] };

function json(value: unknown): Response {
  return new Response(JSON.stringify(value),
    { status: 200, headers: { 'content-type': 'application/json' } });
}

/** tinfoil's five non-KDS bundle requests, answered with the enclave's `report`. */
function stubRoutes(report: Uint8Array): Readonly<Record<string, () => Response>> {
  return {
    [`https://${ENCLAVE}/.well-known/tinfoil-attestation`]: () => json({
      format: PredicateType.SevGuestV2, body: Buffer.from(gzipSync(report)).toString('base64'),
    }),
    [`https://${ENCLAVE}/.well-known/tinfoil-certificate`]: () => json({ certificate: 'unused' }),
    [`https://api-github-proxy.tinfoil.sh/repos/${REPO}/releases/latest`]:
      () => json({ tag_name: 'v0.0.1' }),
    [`https://github-proxy.tinfoil.sh/${REPO}/releases/download/v0.0.1/tinfoil.hash`]:
      () => new Response(DIGEST),
    [`https://api-github-proxy.tinfoil.sh/repos/${REPO}/attestations/sha256:${DIGEST}`]:
      () => json({ attestations: [{ bundle: {} }] }),
  };
}

/** The fetch tinfoil sees: only a KDS URL's origin is rewritten; unknown URLs are refused. */
function recordingFetch(report: Uint8Array, target: KdsTarget, network: Network): typeof fetch {
  const stubs = stubRoutes(report);
  return (async (input: string | URL | Request): Promise<Response> => {
    const asked = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    network.urls.push(asked);
    const url = new URL(asked);
    if (url.origin === KDS_PROXY) {
      const origin = target.kind === 'server' ? target.running.url : 'http://kds.parma-sim.invalid';
      const sentTo = `${origin}${url.pathname}${url.search}`;
      const response = target.kind === 'server'
        ? await target.fetch(sentTo) : await target.fake.kds(new Request(sentTo));
      network.kds.push({ asked, sentTo, status: response.status,
        route: response.headers.get('x-parma-sim-route') });
      return response;
    }
    const stub = stubs[asked];
    if (stub !== undefined) return stub();
    network.refused.push(asked);
    return new Response('refused by the test', { status: 404 });
  }) as typeof fetch;
}

/** Every socket connection attempt while `body` runs, as `host:port`. */
async function recordingSockets<T>(body: () => Promise<T>):
  Promise<Readonly<{ result: T; connects: readonly string[] }>> {
  const realConnect = Socket.prototype.connect;
  const connects: string[] = [];
  Socket.prototype.connect = function recorded(this: Socket, ...args: unknown[]) {
    // net.connect() passes its normalized arguments as one array: [options, callback].
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const options = typeof first === 'object' && first !== null
      ? first as { host?: string; port?: number } : { port: Number(first), host: `${args[1]}` };
    connects.push(`${options.host ?? '?'}:${options.port ?? '?'}`);
    return (realConnect as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  try {
    return { result: await body(), connects };
  } finally {
    Socket.prototype.connect = realConnect;
  }
}

// ---- tinfoil's whole flow with parma-sim's test roots ----

type Run = Readonly<{ verdict: string; vcek: Uint8Array | undefined; network: Network;
  connects: readonly string[] }>;

/** tinfoil's message for a failure, with its cause (tinfoil wraps errors). */
function reasonOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error
    ? ` (${error.cause.message})` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}

/** Bundle (fetches) → Report → chain with the fake's TEST ARK/ASK → signature → appraisal. */
async function runTinfoil(fake: FakeSnp, report: Uint8Array, target: KdsTarget): Promise<Run> {
  const network: Network = { urls: [], refused: [], kds: [] };
  let vcek: Uint8Array | undefined;
  const realFetch = globalThis.fetch;
  globalThis.fetch = recordingFetch(report, target, network);
  const { result: verdict, connects } = await recordingSockets(async () => {
    try {
      const bundle = await assembleAttestationBundle(ENCLAVE, REPO);
      vcek = new Uint8Array(Buffer.from(bundle.vcek, 'base64'));
      const parsed = new sev.Report(new Uint8Array(
        gunzipSync(Buffer.from(bundle.enclaveAttestationReport.body, 'base64'))));
      const chain = new sev.CertificateChain(X509Certificate.parse(fake.testArks().Genoa),
        X509Certificate.parse(fake.certs().ask), X509Certificate.parse(vcek));
      if (!(await sev.verifyAttestation(chain, parsed))) return 'verifyAttestation: false';
      sev.validateReport(parsed, chain, { ...sev.defaultValidationOptions, platformInfo: {
        ...sev.defaultValidationOptions.platformInfo, tsmeEnabled: false } });
      return 'accepted';
    } catch (error) {
      return reasonOf(error);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
  return { verdict, vcek, network, connects };
}

/** A Genoa chip at firmware 1.55.40: VERSION 3 reports, which tinfoil reads. */
function genoaV3(seed: number, extra: Partial<FakeSnpOptions> = {}): FakeSnp {
  return createFakeSnp({ seed, chips: [{ product: 'Genoa', firmware: '1.55.40' }], ...extra });
}

function handler(fake: FakeSnp): KdsTarget {
  return { kind: 'handler', fake };
}

/** Nothing went past the stubs and parma-sim, and no socket was opened. */
function assertStayedInProcess(run: Run): void {
  assert.equal(run.network.refused, [], 'every URL tinfoil fetched was a stub or KDS');
  assert.equal(run.connects, [], 'no socket was opened');
}

// ---- acceptance ----

test('server/tinfoil-kds: tinfoil fetches its VCEK from the in-process kds handler (only the '
  + 'origin rewritten) and accepts the genuine Genoa report of the same fake; no socket opens',
async () => {
  const fake = genoaV3(71);
  const chip = fake.chips[0]!;
  const run = await runTinfoil(fake, fake.report(), handler(fake));
  assertStayedInProcess(run);
  assert.equal(run.network.kds.map((e) => e.asked), [`${KDS_PROXY}${chip.kdsVcekPath}`],
    'tinfoil asked for exactly the VCEK URL parma-sim lists for the chip');
  assert.equal(run.network.kds.map((e) => [e.status, e.route]), [[200, 'kds.vcek']],
    'parma-sim\'s KDS route answered it');
  assert.ok(run.vcek !== undefined && hex(run.vcek) === hex(fake.certs().endorsementCert),
    'the VCEK tinfoil holds is the chip\'s');
  assert.is(run.verdict, 'accepted');
});

test('server/tinfoil-kds: against the live server on port 0, tinfoil\'s only network request '
  + 'is one loopback GET of the VCEK, which the server logs, and the report is accepted',
async () => {
  const fake = genoaV3(72);
  const chip = fake.chips[0]!;
  const lines: string[] = [];
  const running = await fake.listen({ port: 0, log: (line) => lines.push(line) });
  try {
    const run = await runTinfoil(fake, fake.report(),
      { kind: 'server', running, fetch: globalThis.fetch });
    assert.equal(run.network.refused, [], 'every URL tinfoil fetched was a stub or KDS');
    assert.equal(run.network.kds.map((e) => e.sentTo), [`${running.url}${chip.kdsVcekPath}`]);
    assert.equal(run.network.kds.map((e) => [e.status, e.route]), [[200, 'kds.vcek']]);
    assert.ok(run.connects.length >= 1, 'the VCEK came over a socket');
    assert.equal([...new Set(run.connects)], [`127.0.0.1:${running.port}`],
      'every connection went to the fake on loopback');
    assert.is(lines.length, 1, lines.join('\n'));
    assert.ok(lines[0]!.startsWith(`GET /vcek/v1/Genoa/${chip.hwid.slice(0, 32)}`), lines[0]);
    assert.match(lines[0]!, / 200 \d+B route=kds\.vcek#0$/);
    assert.is(run.verdict, 'accepted');
  } finally {
    await running.close();
  }
});

// ---- rejection ----

test('server/tinfoil-kds: tinfoil rejects the report when the server serves a wrong '
  + 'certificate for the chip (wrongCertificate fault): it chains to the ARK, yet its key did '
  + 'not sign the report', async () => {
  const fake = genoaV3(73, { faults: { wrongCertificate: ['genoa'] } });
  const run = await runTinfoil(fake, fake.report(), handler(fake));
  assertStayedInProcess(run);
  assert.equal(run.network.kds.map((e) => [e.status, e.route]), [[200, 'kds.vcek']]);
  assert.ok(run.vcek !== undefined);
  assert.is.not(hex(run.vcek), hex(fake.certs().endorsementCert), 'a different VCEK was served');
  assert.match(run.verdict, /Attestation report signature is invalid/);
});

test('server/tinfoil-kds: tinfoil rejects a report with one REPORT_DATA bit flipped, though '
  + 'parma-sim served the chip\'s genuine VCEK for it', async () => {
  const fake = genoaV3(74);
  const report = fake.report();
  report[OFFSET.report_data] = report[OFFSET.report_data]! ^ 0x01;
  const run = await runTinfoil(fake, report, handler(fake));
  assertStayedInProcess(run);
  assert.equal(run.network.kds.map((e) => e.asked), [`${KDS_PROXY}${fake.chips[0]!.kdsVcekPath}`]);
  assert.ok(run.vcek !== undefined && hex(run.vcek) === hex(fake.certs().endorsementCert));
  assert.match(run.verdict, /Attestation report signature is invalid/);
});

test('server/tinfoil-kds: tinfoil rejects a report whose REPORTED_TCB claims SNP SPL + 1: it '
  + 'fetches the VCEK for the claimed TCB, which parma-sim issues with another key', async () => {
  const fake = genoaV3(75);
  const report = fake.report();
  const snpSplAt = OFFSET.reported_tcb + 6; // Genoa TCB_VERSION: byte 6 is SNP SPL
  const genuineSnpSpl = report[snpSplAt]!;
  report[snpSplAt] = genuineSnpSpl + 1;
  const run = await runTinfoil(fake, report, handler(fake));
  assertStayedInProcess(run);
  assert.is(run.network.kds.length, 1);
  assert.is(new URL(run.network.kds[0]!.asked).searchParams.get('snpSPL'),
    `${genuineSnpSpl + 1}`, 'tinfoil asked for the claimed TCB');
  assert.equal(run.network.kds.map((e) => [e.status, e.route]), [[200, 'kds.vcek']]);
  assert.ok(run.vcek !== undefined);
  assert.is.not(hex(run.vcek), hex(fake.certs().endorsementCert));
  assert.match(run.verdict, /Attestation report signature is invalid/);
});

test('server/tinfoil-kds limitation: parma-sim\'s default Genoa chip (firmware 1.55.43, report '
  + 'v5 with CURRENT_MIT_VECTOR 1) is unreadable to tinfoil, which then asks KDS for nothing',
async () => {
  const fake = createFakeSnp({ seed: 76, chips: [{ product: 'Genoa' }] });
  const report = fake.report();
  assert.is(report[0], 5);
  assert.is(hex(reportBytesAt(report, 0x200, 8)), '0100000000000000', 'CURRENT_MIT_VECTOR');
  const run = await runTinfoil(fake, report, handler(fake));
  assertStayedInProcess(run);
  assert.equal(run.network.kds, []);
  assert.match(run.verdict, /Reserved bytes before signature are not zeroed/);
});

// ---- the README's worked example ----

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const README_MARKER = '<!-- readme-example: tinfoil -->';

function readmeExample(): string {
  const marker = README.indexOf(README_MARKER);
  assert.ok(marker >= 0, 'README has the tinfoil example');
  const match = /```js\n([\s\S]*?)```/.exec(README.slice(marker));
  assert.ok(match !== null, 'a js block follows the marker');
  return match[1]!;
}

test('README: the tinfoil CI example runs as printed under node --test, and its three tests '
  + '(genuine accepted, tampered and wrong certificate rejected) pass', () => {
  // Inside the package, so `import … from 'parma-sim'` resolves to this build.
  const file = join(dirname(fileURLToPath(import.meta.url)), 'readme-tinfoil.mjs');
  writeFileSync(file, readmeExample());
  try {
    const result = spawnSync(process.execPath, ['--test', file], { encoding: 'utf8' });
    const out = `${result.stdout}${result.stderr}`;
    assert.is(result.status, 0, out);
    assert.match(out, /# pass 3\n/);
    assert.match(out, /# fail 0\n/);
  } finally {
    rmSync(file, { force: true });
  }
});

test('README: the wall-clock window it gives for tinfoil is the served VCEK\'s validity, read by '
  + 'tinfoil\'s own certificate parser', () => {
  const section = README.slice(README.lastIndexOf('###', README.indexOf(README_MARKER)),
    README.indexOf(README_MARKER));
  const window = /between (\d{4}-\d{2}-\d{2}) and (\d{4}-\d{2}-\d{2})/.exec(section);
  assert.ok(window !== null, 'the section states the window next to the example');
  const vcek = X509Certificate.parse(genoaV3(77).certs().endorsementCert);
  assert.is(vcek.notBefore.toISOString().slice(0, 10), window[1]);
  assert.is(vcek.notAfter.toISOString().slice(0, 10), window[2]);
});

test.run();

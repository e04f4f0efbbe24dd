/**
 * Goal: how the fake SNP backend holds up under a bounded loopback load: 20,000 requests from 50
 * concurrent clients against `parma-sim serve` in its own process (faults off), printing
 * requests/s, p50 and p99 latency and the error count (which must be 0); and the same for the
 * attestation routes, which sign and verify for real (1,000 requests from 10 clients).
 * Method: spawn the compiled CLI on 127.0.0.1:0 (stderr, its per-request log, goes to /dev/null),
 * read the startup line, then the workers draw requests in turn from a fixed mix with keep-alive
 * fetch: each chip's VCEK at REPORTED_TCB, cert_chain, CRL, THIM with Metadata: true, sidecar
 * /status, MAA's /certs and OpenID metadata; for the attestation load, `/attest/maa` with fresh
 * runtime data per request (a new report, appraisal and token each time) and `/key/release`.
 * Bounded by count and by a 120 s wall-clock cap; the server is stopped with SIGTERM.
 * Reference: a bare node:http server with a fixed 1.3 KB body, loaded by the same client in the
 * same run (ratio > 1 would mean faster than it; the client, undici fetch, bounds both).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Bench, BenchRow } from './harness.js';

const REQUESTS = 20_000;
const CLIENTS = 50;
const CAP_MS = 120_000;
const CLI_JS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sim', 'cli.js');

type Target = Readonly<{ url: string; headers?: Record<string, string>;
  /** A POST body; a function gets the request's number (fresh runtime data per request). */
  body?: (n: number) => string }>;

/** The reference: bare node:http answering every request with a fixed 1.3 KB body. */
const BARE_SERVER = `
const body = Buffer.alloc(1300, 65);
const server = require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-length': body.length }); res.end(body); });
});
server.listen(0, '127.0.0.1', () => {
  const url = 'http://127.0.0.1:' + server.address().port;
  console.log(JSON.stringify({ url, chips: [] }));
});
process.on('SIGTERM', () => process.exit(0));`;

async function startServer(args: readonly string[]):
  Promise<{ summary: Record<string, unknown>; stop: () => void }> {
  const child = spawn(process.execPath, [...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  const summary = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>);
    });
    child.on('exit', (code) => reject(new Error(`parma-sim serve exited ${code}`)));
  });
  return { summary, stop: () => { child.kill('SIGTERM'); } };
}

function targetsOf(summary: Record<string, unknown>): Target[] {
  const base = String(summary['url']);
  const chips = summary['chips'] as Record<string, string>[];
  return [
    ...chips.map((chip) => ({ url: chip['kdsVcekUrl']! })),
    ...chips.map((chip) => ({ url: `${base}/vcek/v1/${chip['product']}/cert_chain` })),
    { url: `${base}/vcek/v1/Milan/crl` },
    { url: `${base}/metadata/THIM/amd/certification`, headers: { Metadata: 'true' } },
    { url: `${base}/status` },
    { url: `${base}/certs` },
    { url: `${base}/.well-known/openid-configuration` },
  ];
}

/** The attestation mix: a token for fresh runtime data, then a key release, in turn. */
function attestationTargetsOf(summary: Record<string, unknown>): Target[] {
  const base = String(summary['url']);
  const { maaEndpoint, akvEndpoint, keyNames } = summary['attestation'] as
    { maaEndpoint: string; akvEndpoint: string; keyNames: string[] };
  return [
    { url: `${base}/attest/maa`, body: (n) => JSON.stringify({ maa_endpoint: maaEndpoint,
      runtime_data: Buffer.from(JSON.stringify({ nonce: n })).toString('base64') }) },
    { url: `${base}/key/release`, body: () => JSON.stringify({ maa_endpoint: maaEndpoint,
      akv_endpoint: akvEndpoint, kid: keyNames[0] }) },
  ];
}

function send(target: Target, n: number): Promise<Response> {
  if (target.body === undefined) {
    return fetch(target.url, target.headers ? { headers: target.headers } : {});
  }
  return fetch(target.url, { method: 'POST', body: target.body(n) });
}

type Load = Readonly<{ requests: number; clients: number }>;

async function load(targets: readonly Target[], size: Load = { requests: REQUESTS,
  clients: CLIENTS }): Promise<{ latencies: number[]; errors: number; elapsedMs: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < size.requests && performance.now() - started < CAP_MS) {
      const n = next++;
      const target = targets[n % targets.length]!;
      const sent = performance.now();
      try {
        const response = await send(target, n);
        await response.arrayBuffer();
        if (response.status !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - sent);
    }
  };
  // Warm the caches (certificates are signed on first use), outside the measurement.
  for (const target of targets) await (await send(target, -1)).arrayBuffer();
  const begun = performance.now();
  await Promise.all(Array.from({ length: size.clients }, worker));
  return { latencies, errors, elapsedMs: performance.now() - begun };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function rows(result: { latencies: number[]; errors: number; elapsedMs: number },
  reference?: number): BenchRow[] {
  const { latencies, errors, elapsedMs } = result;
  const sorted = [...latencies].sort((a, b) => a - b);
  const note = `${latencies.length} requests in ${(elapsedMs / 1000).toFixed(1)} s`;
  const throughput = (latencies.length * 1000) / elapsedMs;
  return [
    { name: 'throughput', value: throughput, unit: 'req/s', note,
      ...(reference === undefined ? {} : { ratio: throughput / reference,
        reference: { name: 'bare node:http, same client', value: reference, unit: 'req/s' } }) },
    { name: 'latency p50', value: percentile(sorted, 50), unit: 'ms' },
    { name: 'latency p99', value: percentile(sorted, 99), unit: 'ms' },
    { name: 'errors (must be 0)', value: errors, unit: 'requests' },
  ];
}

const ATTESTATION_LOAD: Load = { requests: 1_000, clients: 10 };

export const benches: readonly Bench[] = [{
  name: `serve: ${REQUESTS} loopback requests from ${CLIENTS} concurrent clients (faults off)`,
  run: async (): Promise<readonly BenchRow[]> => {
    const bare = await startServer(['-e', BARE_SERVER]);
    let reference: number;
    try {
      const url = String(bare.summary['url']);
      const result = await load([{ url: `${url}/a` }]);
      reference = (result.latencies.length * 1000) / result.elapsedMs;
    } finally {
      bare.stop();
    }
    const server = await startServer([CLI_JS, 'serve', '--port', '0', '--seed', '1']);
    try {
      return rows(await load(targetsOf(server.summary)), reference);
    } finally {
      server.stop();
    }
  },
}, {
  name: `serve: ${ATTESTATION_LOAD.requests} /attest/maa and /key/release requests from `
    + `${ATTESTATION_LOAD.clients} concurrent clients (faults off)`,
  run: async (): Promise<readonly BenchRow[]> => {
    const server = await startServer([CLI_JS, 'serve', '--port', '0', '--seed', '1']);
    try {
      return rows(await load(attestationTargetsOf(server.summary), ATTESTATION_LOAD));
    } finally {
      server.stop();
    }
  },
}];

/**
 * Goal: `parma-sim serve` as a user runs it: it binds loopback, prints one JSON line with the base
 * URL, the chips (with their KDS VCEK URLs) and the test ARKs to pin, logs one stderr line per
 * request, and shuts down cleanly (exit 0) on SIGTERM and SIGINT; a bad config exits 2 with one
 * line.
 * Method: the compiled CLI as a child process; the startup line is read from its stdout; the
 * served VCEK is checked against the printed ARK with the verifier.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { trustAnchorFromArk } from '../../models/verifier/trust-anchors.js';
import { createFakeSnp } from '../../sim/server.js';
import { spawnCli } from '../support/cli.js';
import { CLI_JS } from '../support/paths.js';
import { inTempDir, pemBlocks } from './support.js';

type Started = Readonly<{
  summary: Record<string, unknown>;
  stop: (signal: NodeJS.Signals) => Promise<{ code: number | null; stderr: string }>;
}>;

function startServe(args: readonly string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI_JS, 'serve', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      resolve({
        summary: JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>,
        stop: (signal) => { child.kill(signal); return exited; },
      });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

test('server/cli: serve prints the loopback URL, chips and ARKs, serves the VCEK the printed ARK '
  + 'verifies, logs each request, and exits 0 on SIGTERM', async () => {
  const started = await startServe(['--port', '0', '--seed', '81']);
  let stopped = false;
  try {
    const { summary } = started;
    assert.match(String(summary['url']), /^http:\/\/127\.0\.0\.1:\d+$/);
    const chips = summary['chips'] as Record<string, string>[];
    assert.equal(chips.map((c) => c['product']), ['Milan', 'Genoa', 'Turin']);
    const vcek = new Uint8Array(await (await fetch(chips[0]!['kdsVcekUrl']!)).arrayBuffer());
    const ark = pemBlocks((summary['arks'] as Record<string, string>)['Milan']!)[0]!;
    const { ask } = createFakeSnp({ seed: 81 }).certs();
    const report = createFakeSnp({ seed: 81 }).report();
    const verdict = verifyAttestationReport(report, { vcek, ask, ark },
      { trustAnchors: [trustAnchorFromArk('Milan', ark, 'printed')] });
    assert.equal(verdict.failures, []);
    assert.is((await fetch(`${String(summary['url'])}/nope`)).status, 404);
    const { code, stderr } = await started.stop('SIGTERM');
    stopped = true;
    assert.is(code, 0);
    const lines = stderr.split('\n').filter((l) => / route=| 404 /.test(l));
    assert.is(lines.length, 2, stderr);
    assert.match(stderr, 'SIGTERM: shut down after 2 requests');
  } finally {
    if (!stopped) await started.stop('SIGKILL');
  }
});

test('server/cli: serve --config with a fault rule answers 429 + Retry-After, and SIGINT stops it',
  async () => {
    await inTempDir({}, async (dir) => {
      const config = join(dir, 'serve.json');
      writeFileSync(config, JSON.stringify({ seed: 82, chips: [{ product: 'Genoa' }],
        faults: { routes: { 'kds.cert_chain': { tooManyRequests: '1/1' } } } }));
      const started = await startServe(['--config', config, '--ark-dir', dir]);
      try {
        const url = String(started.summary['url']);
        const arks = started.summary['arks'] as Record<string, string>;
        assert.is(arks['Genoa'], join(dir, 'ark-genoa.pem'));
        const response = await fetch(`${url}/vcek/v1/Genoa/cert_chain`);
        assert.is(response.status, 429);
        assert.is(response.headers.get('retry-after'), '10');
      } finally {
        const { code } = await started.stop('SIGINT');
        assert.is(code, 0);
      }
    });
  });

test('server/cli: a config naming an unknown product exits 2 with one line naming the option',
  async () => {
    await inTempDir({ 'bad.json': '{"chips":[{"product":"Rome"}]}' }, (dir) => {
      const result = spawnCli(['serve', '--config', join(dir, 'bad.json')]);
      assert.is(result.code, 2);
      assert.match(result.stderr, 'chips[0].product');
      assert.is(result.stderr.trim().split('\n').length, 1);
    });
  });

test('server/cli: serve --config with a key vault prints the MAA and AKV endpoints and key '
  + 'names, and /key/release at them returns the configured key', async () => {
  await inTempDir({}, async (dir) => {
    const config = join(dir, 'serve.json');
    writeFileSync(config, JSON.stringify({ seed: 83, chips: [{ product: 'Milan' }],
      tokenService: { endpoint: 'maa.example.test' }, keyVault: { endpoint: 'kv.example.test',
        keys: [{ name: 'ci-key', material: 'ab'.repeat(16) }] } }));
    const started = await startServe(['--config', config, '--quiet']);
    try {
      const attestation = started.summary['attestation'] as Record<string, unknown>;
      assert.equal(attestation, { akvEndpoint: 'kv.example.test',
        issuer: 'https://maa.example.test', keyNames: ['ci-key'],
        maaEndpoint: 'maa.example.test' });
      const response = await fetch(`${String(started.summary['url'])}/key/release`, {
        method: 'POST', body: JSON.stringify({ maa_endpoint: 'maa.example.test',
          akv_endpoint: 'kv.example.test', kid: 'ci-key' }) });
      assert.is(response.status, 200);
      const { key } = await response.json() as { key: string };
      assert.equal(JSON.parse(key), { k: Buffer.from('ab'.repeat(16), 'hex')
        .toString('base64url'), kty: 'oct' });
    } finally {
      const { code } = await started.stop('SIGTERM');
      assert.is(code, 0);
    }
  });
});

test('server/cli: a config whose key has a malformed release policy exits 2 naming it',
  async () => {
    const bad = '{"keyVault":{"keys":[{"name":"k","releasePolicy":{"version":"1.0.0",'
      + '"anyOf":[]}}]}}';
    await inTempDir({ 'bad.json': bad }, (dir) => {
      const result = spawnCli(['serve', '--config', join(dir, 'bad.json')]);
      assert.is(result.code, 2);
      assert.match(result.stderr, 'keyVault.keys[0].releasePolicy');
      assert.is(result.stderr.trim().split('\n').length, 1);
    });
  });

test('server/cli: a --port that is not a port exits 2', () => {
  const result = spawnCli(['serve', '--port', '70000']);
  assert.is(result.code, 2);
  assert.match(result.stderr, '--port');
});

test.run();

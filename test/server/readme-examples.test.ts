/**
 * Goal: the README's examples for the fake backend really run: the node:test, uvu and token
 * examples, the configfs-tsm example and the two shell sessions with curl (KDS/THIM/sidecar, and
 * tokens and key release).
 * Method: each block marked `<!-- readme-example: NAME -->` (and the shell blocks that start
 * `parma-sim serve --seed 7` and `--seed 9`) is copied verbatim into a file inside the package (so
 * `import … from 'parma-sim'` resolves to this build) and run with node or bash; the shell blocks
 * get a free port instead of 8080 and a `parma-sim` on PATH that runs the compiled CLI. The key the
 * session releases is compared with the library's releaseKey() for the same seed (the HTTP path
 * against the in-process one).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFakeSnp } from '../../sim/server.js';
import { CLI_JS, REPO_ROOT } from '../support/paths.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const HERE = dirname(fileURLToPath(import.meta.url));

function example(name: string): string {
  const marker = README.indexOf(`<!-- readme-example: ${name} -->`);
  assert.ok(marker >= 0, `README has the ${name} example`);
  const match = /```js\n([\s\S]*?)```/.exec(README.slice(marker));
  assert.ok(match !== null);
  return match[1]!;
}

function runNode(name: string, args: readonly string[]): { code: number; out: string } {
  const file = join(HERE, `readme-${name}.mjs`);
  writeFileSync(file, example(name));
  try {
    const result = spawnSync(process.execPath, [...args, file], { encoding: 'utf8' });
    return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(file, { force: true });
  }
}

test('README: the node:test example passes under node --test', () => {
  const result = runNode('node-test', ['--test']);
  assert.is(result.code, 0, result.out);
  assert.match(result.out, /# pass 1/);
});

test('README: the uvu example passes', () => {
  const result = runNode('uvu', []);
  assert.is(result.code, 0, result.out);
  assert.match(result.out, /Passed:\s+1/);
});

test('README: the token example (jose against fake.jwks(), releaseKey()) passes under node '
  + '--test', () => {
  const result = runNode('token', ['--test']);
  assert.is(result.code, 0, result.out);
  assert.match(result.out, /# pass 1/);
});

test('README: the configfs-tsm example prints the report length and its REPORT_DATA', () => {
  const result = runNode('configfs-tsm', []);
  assert.is(result.code, 0, result.out);
  assert.is(result.out.trim(), '1184 abababab true');
});

/** Runs a README shell block (8080 → a free port, `parma-sim` on PATH) in a temp dir. */
async function runSession(block: string,
  check: (stdout: string, port: number) => void): Promise<void> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-readme-'));
  try {
    const wrapper = `#!/bin/sh\nexec "${process.execPath}" "${CLI_JS}" "$@"\n`;
    writeFileSync(join(dir, 'parma-sim'), wrapper);
    chmodSync(join(dir, 'parma-sim'), 0o755);
    writeFileSync(join(dir, 'session.sh'), block.replaceAll('8080', `${port}`));
    const result = spawnSync('bash', ['-e', 'session.sh'], { cwd: dir, encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env['PATH']}` }, timeout: 60_000 });
    assert.is(result.status, 0, `${result.stdout}${result.stderr}`);
    check(result.stdout, port);
    if (block.includes('vcek.der')) {
      assert.ok(readFileSync(join(dir, 'vcek.der')).length > 1000, 'the VCEK was saved');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

test('README: the shell session with curl runs against parma-sim serve', async () => {
  const block = /```sh\n(parma-sim serve --seed 7[\s\S]*?)```/.exec(README);
  assert.ok(block !== null, 'README has the curl session');
  await runSession(block[1]!, (stdout, port) => {
    assert.match(stdout, `http://127.0.0.1:${port}/vcek/v1/Milan/`);
    assert.match(stdout, '"vcekCert":"-----BEGIN CERTIFICATE-----');
    assert.match(stdout, '{"report":"03000000');
    assert.match(stdout, /\n404\n/);
  });
});

test('README: the curl session for tokens and key release runs against parma-sim serve: two '
  + 'tokens, the default key (as createFakeSnp releases it), the JWKS, the OpenID metadata and a '
  + '403 for another MAA', async () => {
  const block = /```sh\n(parma-sim serve --seed 9[\s\S]*?)```/.exec(README);
  assert.ok(block !== null, 'README has the token and key release session');
  const { k } = createFakeSnp({ seed: 9 }).releaseKey();
  await runSession(block[1]!, (stdout, port) => {
    const lines = stdout.trim().split('\n');
    assert.is(lines.filter((l) => /^\{"token":"eyJ[\w-]+\.[\w-]+\.[\w-]+"\}$/.test(l)).length,
      2, stdout);
    assert.ok(lines.includes(`{"key":"{\\"k\\":\\"${k}\\",\\"kty\\":\\"oct\\"}"}`), stdout);
    assert.match(stdout, '{"keys":[{"kty":"RSA"');
    assert.match(stdout, `"jwks_uri":"http://127.0.0.1:${port}/certs"`);
    assert.match(lines.at(-1)!, /^\{"error":"VERIFY_TOKEN_ISSUER: .*\} 403$/);
  });
});

test.run();

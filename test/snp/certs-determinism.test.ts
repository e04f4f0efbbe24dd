/**
 * Goal: certificates and CRLs are a function of the seed: the same seed gives byte-identical files
 * in two separate processes; a different seed gives a different VCEK/VLEK and CRL, while the
 * TEST-ONLY ARK/ASK/ASVK stay the fixed certificates every seed shares (as AMD's do).
 * Method: run the compiled `parma-sim snp certs` as two child processes per seed and compare the
 * SHA-256 of every file; then compare across seeds.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnCli } from '../support/cli.js';

function digests(args: readonly string[]): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-det-'));
  try {
    const result = spawnCli(['snp', 'certs', '--out', dir, ...args]);
    assert.is(result.code, 0, result.stderr);
    const out: Record<string, string> = {};
    for (const name of readdirSync(dir).sort()) {
      out[name] = createHash('sha256').update(readFileSync(join(dir, name))).digest('hex');
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [product, key] of [['Milan', 'vcek'], ['Turin', 'vlek']] as const) {
  test(
    `snp/certs determinism: ${product} ${key}: the same seed in ` +
      `two processes gives byte-identical files`,
    () => {
      const args = [
        '--seed', '2024', '--product', product, '--signing-key', key, '--revoke', '0x10101',
      ];
      const a = digests(args);
      const b = digests(args);
      assert.ok(Object.keys(a).length >= 9, `files: ${Object.keys(a).join(',')}`);
      assert.equal(a, b);
    },
  );

  test(
    `snp/certs determinism: ${product} ${key}: different seeds ` +
      'change the endorsement certificate and the CRL, never the fixed CA certificates',
    () => {
      const a = digests(['--seed', '1', '--product', product, '--signing-key', key]);
      const b = digests(['--seed', '2', '--product', product, '--signing-key', key]);
      assert.equal(Object.keys(a), Object.keys(b));
      const fixed = ['ark.pem', 'ask.pem', 'asvk.pem', 'cert_chain.pem', 'vlek_cert_chain.pem'];
      for (const name of Object.keys(a)) {
        if (fixed.includes(name)) assert.is(a[name], b[name], `${name} is the same test root`);
        else assert.is.not(a[name], b[name], `${name} must differ between seeds`);
      }
      assert.ok(Object.keys(a).some((name) => !fixed.includes(name)));
    },
  );
}

test.run();

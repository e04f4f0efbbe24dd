/**
 * Goal: `parma-sim policy fragment sign|verify|issuer` work as documented: exit codes 0 / 10 / 2,
 * JSON on stdout, the real UVM reference info verifies with --statement.
 * Method: run the CLI in-process on temporary files and on shared/testdata.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';

const cosePath = (): string =>
  shared('snp', 'reports', 'milan-v2-aci', 'uvm-reference-info.cose');

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parma-h5-cli-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('cli/policy fragment: sign then verify round-trips issuer, feed, svn and namespace',
    withDir(async (dir) => {
  writeFileSync(join(dir, 'f.rego'), 'package contoso\nsvn := "2"\n');
  const signed = await runCli(['policy', 'fragment', 'sign', '--fragment', join(dir, 'f.rego'),
    '--feed', 'f/x', '--svn', '2',
    '--seed', '9', '--out', join(dir, 'f.cose'), '--base64']);
  assert.is(signed.code, 0, signed.stderr);
  const issuer = (JSON.parse(signed.stdout) as { issuer: string }).issuer;
  const verified = await runCli(['policy', 'fragment', 'verify', join(dir, 'f.cose'), '--issuer',
    issuer, '--feed', 'f/x']);
  assert.is(verified.code, 0, verified.stdout + verified.stderr);
  const out = JSON.parse(verified.stdout) as Record<string, unknown>;
  assert.equal([out['ok'], out['feed'], out['svn'], out['namespace']],
    [true, 'f/x', '2', 'contoso']);
}));

test('cli/policy fragment: a reserved namespace is signed but fails verify with exit 10',
    withDir(async (dir) => {
  writeFileSync(join(dir, 'f.rego'), 'package framework\n');
  const signed = await runCli(['policy', 'fragment', 'sign', '--fragment', join(dir, 'f.rego'),
    '--feed', 'f', '--out', join(dir, 'f.cose')]);
  assert.is(signed.code, 0);
  assert.equal((JSON.parse(signed.stdout) as { namespace: unknown }).namespace,
    { error: 'POLICY_FRAGMENT_RESERVED_NAMESPACE' });
  const verified = await runCli(['policy', 'fragment', 'verify', join(dir, 'f.cose')]);
  assert.is(verified.code, 10);
  assert.is((JSON.parse(verified.stdout) as { code: string }).code,
    'POLICY_FRAGMENT_RESERVED_NAMESPACE');
}));

sharedTest('cli/policy fragment: the real UVM reference info verifies as a signed statement',
    async () => {
  const result = await runCli(['policy', 'fragment', 'verify', cosePath(), '--statement']);
  assert.is(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout) as { feed: string; algorithm: string };
  assert.equal([out.feed, out.algorithm], ['ContainerPlat-AMD-UVM', 'PS384']);
  const asFragment = await runCli(['policy', 'fragment', 'verify', cosePath()]);
  assert.is(asFragment.code, 10, 'a JSON payload has no package line');
});

test('cli/policy fragment: a missing required flag is a usage error (exit 2)', async () => {
  const result = await runCli(['policy', 'fragment', 'sign', '--feed', 'x']);
  assert.is(result.code, 2);
  assert.ok(result.stderr.includes('--fragment'));
});

test('cli/policy fragment: issuer prints the DIDs of the seed, the same on every run', async () => {
  const a = await runCli(['policy', 'fragment', 'issuer', '--seed', '5']);
  const b = await runCli(['policy', 'fragment', 'issuer', '--seed', '5']);
  assert.is(a.code, 0);
  assert.is(a.stdout, b.stdout);
  assert.match((JSON.parse(a.stdout) as { did: string }).did,
    /^did:x509:0:sha256:[A-Za-z0-9_-]{43}::eku:1\.3\.6\.1\.4\.1\.311\.76\.59\.1\.3$/);
});

test.run();

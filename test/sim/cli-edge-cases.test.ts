/**
 * Goal: the CLI edge cases a new user meets get the exit code the README's table promises and a
 * message in the user's own flag names: a bad flag value is a usage error (2) naming the flag as
 * typed, never a "malformed input" (30) or commander's camelCase name; input past a limit is
 * malformed (30); a path that cannot be created fails fast (40) with the errno.
 * Method: each case runs the compiled `parma-sim` as a real process (the exit code is what a
 * script sees), with a timeout where the old behaviour was to spin forever.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli, type CliResult } from '../support/cli.js';

const SUITE = 'sim/cli-edge-cases';
const scratch = mkdtempSync(join(tmpdir(), 'parma-sim-edge-'));

/** One clean line on stderr, nothing on stdout, no commander attribute names (`--guestSvn`). */
function oneLine(result: CliResult): string {
  assert.is(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.is(lines.length, 1, result.stderr);
  assert.not.match(result.stderr, /--[a-z]+[A-Z]/, 'a flag in camelCase');
  assert.not.match(result.stderr, /\n\s+at /, 'a stack trace');
  return lines[0]!;
}

/** Asserts a usage error (exit 2) whose one line names `flag` as typed. */
function usageNaming(argv: readonly string[], flag: string): void {
  const result = spawnCli(argv, { timeoutMs: 30_000 });
  assert.is(result.code, 2, result.stderr);
  assert.ok(oneLine(result).includes(`${flag}:`), `names ${flag}: ${result.stderr}`);
}

const HEX65 = 'ab'.repeat(65);

// The cases of issue 7, "CLI edge cases".

test(`${SUITE}: a certificate bundle past the 64-block limit is malformed input (30)`, () => {
  const block = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  const bundle = join(scratch, 'bundle.pem');
  writeFileSync(bundle, block.repeat(65));
  const report = join(scratch, 'zero-report.bin');
  writeFileSync(report, new Uint8Array(0x4a0));
  const result = spawnCli(['snp', 'verify', '--report', report, '--certs', bundle]);
  assert.is(result.code, 30, result.stderr);
  assert.match(oneLine(result), `${bundle}: more than 64 PEM blocks`);
});

test(`${SUITE}: snp report --tcb ucode=256 is a usage error naming --tcb`, () => {
  usageNaming(['snp', 'report', '--tcb', 'ucode=256'], '--tcb');
});

test(`${SUITE}: snp report --firmware 1.55.99999 is a usage error naming --firmware`, () => {
  usageNaming(['snp', 'report', '--firmware', '1.55.99999'], '--firmware');
});

test(`${SUITE}: snp report with a 65-byte --report-data is a usage error naming --report-data`,
  () => {
    usageNaming(['snp', 'report', '--report-data', HEX65], '--report-data');
  });

test(`${SUITE}: snp report --guest-svn 4294967296 names --guest-svn, not --guestSvn`, () => {
  usageNaming(['snp', 'report', '--guest-svn', '4294967296'], '--guest-svn');
});

test(`${SUITE}: snp certs --out /proc/x fails fast with SIM_IO and the errno (40)`, () => {
  const result = spawnCli(['snp', 'certs', '--out', '/proc/x'], { timeoutMs: 30_000 });
  assert.is(result.code, 40, `killed after 30 s means it spun: ${result.stderr}`);
  assert.match(oneLine(result), /SIM_IO: cannot create \/proc\/x: ENOENT$/);
});

test(`${SUITE}: snp report --seed -1 and --seed=-1 are usage errors naming --seed`, () => {
  usageNaming(['snp', 'report', '--seed', '-1'], '--seed');
  usageNaming(['snp', 'report', '--seed=-1'], '--seed');
});

test(`${SUITE}: --seed refuses what canonicalSeed refuses (empty) as a usage error`, () => {
  usageNaming(['snp', 'certs', '--out', join(scratch, 'never'), '--seed', ''], '--seed');
});

test(`${SUITE}: policy hash - on empty stdin is refused (30), not the hash of nothing`, () => {
  const result = spawnCli(['policy', 'hash', '-'], { input: '' });
  assert.is(result.code, 30, result.stderr);
  assert.match(oneLine(result), 'stdin: the policy is empty (0 bytes)');
  assert.not.match(result.stdout, 'e3b0c442');   // SHA-256 of no bytes
});

test(`${SUITE}: the top-level help names every policy subcommand, fragment included`, () => {
  const top = spawnCli(['--help']);
  assert.is(top.code, 0);
  const policyLine = top.stdout.split('\n').find((line) => /^\s+policy\s/.test(line)) ?? '';
  const group = spawnCli(['policy', '--help']);
  const names = group.stdout.split('\n').map((line) => /^ {2}([a-z]+) /.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  assert.ok(names.includes('fragment'), group.stdout);
  assert.equal(names.filter((name) => !policyLine.includes(name)), [], policyLine);
});

test(`${SUITE}: snp certs prints a Milan REPORTED_TCB without fmc, a Turin one with it`, () => {
  const tcbKeys = (product: string): string[] => {
    const out = join(scratch, `certs-${product}`);
    const result = spawnCli(['snp', 'certs', '--out', out, '--product', product]);
    assert.is(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { reported_tcb: Record<string, number> };
    return Object.keys(summary.reported_tcb).sort();
  };
  assert.equal(tcbKeys('Milan'), ['bl', 'snp', 'tee', 'ucode']);
  assert.equal(tcbKeys('Turin'), ['bl', 'fmc', 'snp', 'tee', 'ucode']);
});

test(`${SUITE}: snp verify prints a Milan REPORTED_TCB claim without fmc`, () => {
  const certs = join(scratch, 'verify-milan');
  const report = join(certs, 'report.bin');
  assert.is(spawnCli(['snp', 'certs', '--out', certs, '--seed', '5']).code, 0);
  assert.is(spawnCli(['snp', 'report', '--seed', '5', '--out', report]).code, 0);
  const result = spawnCli(['snp', 'verify', '--report', report, '--certs', certs, '--test-roots']);
  assert.is(result.code, 0, result.stdout);
  const verdict = JSON.parse(result.stdout) as { claims: { reported_tcb: object } };
  assert.equal(Object.keys(verdict.claims.reported_tcb).sort(), ['bl', 'snp', 'tee', 'ucode']);
});

// Further cases of the same kind, met trying the README's commands with bad values.

test(`${SUITE}: snp certs --vlek-csp-id '' is a usage error, not an internal error (70)`, () => {
  usageNaming(['snp', 'certs', '--out', join(scratch, 'never'), '--signing-key', 'vlek',
    '--vlek-csp-id', ''], '--vlek-csp-id');
});

test(`${SUITE}: snp report --vlek-csp-id '' is a usage error naming --vlek-csp-id`, () => {
  usageNaming(['snp', 'report', '--vlek-csp-id', ''], '--vlek-csp-id');
});

test(`${SUITE}: snp certs --tcb ucode=256 is a usage error naming --tcb`, () => {
  usageNaming(['snp', 'certs', '--out', join(scratch, 'never'), '--tcb', 'ucode=256'], '--tcb');
});

test(`${SUITE}: a --tcb with non-zero reserved bytes is a usage error naming --tcb`, () => {
  usageNaming(['snp', 'report', '--tcb', '0xffffffffffffffff'], '--tcb');
});

test(`${SUITE}: snp report --chip-id of the wrong size is a usage error naming --chip-id`, () => {
  usageNaming(['snp', 'report', '--chip-id', '00'], '--chip-id');
});

test(`${SUITE}: a --committed-firmware newer than --firmware names --committed-firmware`, () => {
  usageNaming(['snp', 'report', '--firmware', '1.55.20', '--committed-firmware', '1.56.0'],
    '--committed-firmware');
});

test(`${SUITE}: snp verify --min-tcb ucode=256 is a usage error naming --min-tcb`, () => {
  usageNaming(['snp', 'verify', '--report', join(scratch, 'zero-report.bin'), '--certs', scratch,
    '--min-tcb', 'ucode=256'], '--min-tcb');
});

test(`${SUITE}: snp verify with a short --host-data names --host-data, not --hostData`, () => {
  usageNaming(['snp', 'verify', '--report', join(scratch, 'zero-report.bin'), '--certs', scratch,
    '--host-data', '00'], '--host-data');
});

test(`${SUITE}: idblock --out-dir /proc/x fails fast with SIM_IO (40)`, () => {
  const result = spawnCli(['idblock', '--measurement', '00'.repeat(48), '--seed', '1',
    '--out-dir', '/proc/x'], { timeoutMs: 30_000 });
  assert.is(result.code, 40, result.stderr);
  assert.match(oneLine(result), 'cannot create /proc/x: ENOENT');
});

test(`${SUITE}: snp certs --out on an existing file fails with ENOTDIR (40)`, () => {
  const file = join(scratch, 'a-file');
  writeFileSync(file, 'x');
  const result = spawnCli(['snp', 'certs', '--out', file]);
  assert.is(result.code, 40, result.stderr);
  assert.match(oneLine(result), `cannot create ${file}: ENOTDIR`);
});

test(`${SUITE}: idblock --seed=-1 is a usage error naming --seed`, () => {
  usageNaming(['idblock', '--measurement', '00'.repeat(48), '--seed=-1'], '--seed');
});

test(`${SUITE}: policy eval --rule with no such enforcement point names --rule (2, not 30)`,
  () => {
    usageNaming(['policy', 'eval', join(scratch, 'no-policy.rego'), '--rule', 'nope',
      '--input', '-'], '--rule');
  });

test(`${SUITE}: policy fragment issuer --eku that is no OID names --eku (2, not 10)`, () => {
  usageNaming(['policy', 'fragment', 'issuer', '--eku', '1.2.x'], '--eku');
});

test(`${SUITE}: policy fragment issuer --seed=-3 is a usage error naming --seed`, () => {
  usageNaming(['policy', 'fragment', 'issuer', '--seed=-3'], '--seed');
});

test(`${SUITE}: serve --seed -1 is a usage error naming --seed (it never starts serving)`, () => {
  usageNaming(['serve', '--seed', '-1', '--port', '0'], '--seed');
});

test(`${SUITE}: world run --seed -1 is a usage error naming --seed`, () => {
  usageNaming(['world', 'run', '--policy', join(scratch, 'no-policy.rego'), '--seed', '-1'],
    '--seed');
});

test(`${SUITE}: world replay of a file that is no trace is malformed input (30), not usage`, () => {
  const file = join(scratch, 'not-a-trace.jsonl');
  writeFileSync(file, '{"a":1}\n{"b":2}\n');
  const result = spawnCli(['world', 'replay', file]);
  assert.is(result.code, 30, result.stderr);
  assert.match(oneLine(result), 'SIM_BAD_TRACE');
});

test(`${SUITE}: check merge of a file that is no campaign result is malformed input (30)`, () => {
  const file = join(scratch, 'not-a-result.json');
  writeFileSync(file, '{');
  const result = spawnCli(['check', 'merge', file]);
  assert.is(result.code, 30, result.stderr);
  assert.match(oneLine(result), 'SIM_BAD_RESULT');
});

test(`${SUITE}: policy hash --help and policy show --help print the usage and exit 0`, () => {
  for (const sub of ['hash', 'show']) {
    const result = spawnCli(['policy', sub, '--help']);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, `usage: parma-sim policy ${sub} FILE`);
  }
});

test.run();

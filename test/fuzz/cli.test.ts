/**
 * Goal: the CLI argument parser (sim/cli.ts `main(argv, io)`) under mutations of valid command
 * lines of every command that ends by itself: `main` resolves (never rejects) within a bound, to
 * an exit code of the documented table (0, 1 for a failed verdict, 2 usage, 10 rejected,
 * 30 malformed, 40 I/O), never 70 (an internal error: an exception that was not a SimError), and
 * a failure says why on stdout or stderr.
 * Method: fast-check (fixed seeds; fuzz/harness.ts) over fuzz/mutators.ts word edits (delete,
 * replace, insert or swap words; a word replaced by another command's word or flag, or by any
 * short text) of seed command lines, run in-process with captured output, in a temporary
 * working directory holding the files they name. `serve` (it listens until stopped) and `check`
 * (campaigns that run minutes by design) are left out, as is `-` (stdin) as a word.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { main } from '../../sim/cli.js';
import { generateReport } from '../../models/snp/report-generator.js';
import { fuzzParameters, fuzzRuns, labelled, outcomeAsync, ranNote } from './harness.js';
import { mutatedWords } from './mutators.js';

const SUITE = 'fuzz/cli';
const BOUND_MS = 15_000;
const EXIT_CODES = new Set([0, 1, 2, 10, 30, 40]);
const LONG_RUNNING = new Set(['serve', 'check']);

const POLICY = `package policy
api_version := "0.10.0"
framework_version := "0.2.3"
containers := [{"id": "x", "command": ["/pause"], "env_rules": [], "layers": ["${'ab'.repeat(32)}"],
  "mounts": [], "exec_processes": [], "signals": [], "allow_elevated": false,
  "working_dir": "/", "allow_stdio_access": true}]
mount_device := data.framework.mount_device
`;

const SEEDS: readonly (readonly string[])[] = [
  ['snp', 'report', '--seed', '3', '--product', 'milan', '--policy', '0x3001f'],
  ['snp', 'report', '--signing-key', 'vlek', '--mask-chip-id', '--vmpl', '1', '--out', 'r2.bin'],
  ['snp', 'show', 'report.bin', '--product', 'milan'],
  ['snp', 'certs', '--seed', '3', '--product', 'milan', '--out', 'certs'],
  ['snp', 'verify', '--report', 'report.bin', '--certs', 'certs', '--test-roots'],
  ['policy', 'hash', 'policy.rego', '--json'],
  ['policy', 'show', 'policy.rego', '--compact'],
  ['policy', 'eval', 'policy.rego', '--rule', 'mount_device', '--input', 'input.json'],
  ['policy', 'simulate', 'policy.rego', '--commands', 'commands.json', '--dialect', 'v0.14.1'],
  ['policy', 'fragment', 'issuer', '--seed', '7'],
  ['idblock', '--measurement', 'ab'.repeat(48), '--out', 'idb'],
  ['dmverity', 'roothash', 'layer.img'],
  ['measure', '--mode', 'snp', '--vcpus', '1', '--ovmf', 'ovmf.bin'],
  ['--version'], ['help'], ['policy', '--help'],
];

const POOL = ['--seed', '--product', '--out', '--report', '--certs', '--json', '--rule', '--input',
  '--metadata', '--dialect', '--help', '--policy', '--vmpl', '--firmware', '--tcb', '--crl',
  '--report-data', '--host-data', '--guest-svn', '0', '-1', '4294967296', '1e3', '0x', 'milan',
  'turin', 'genoa', 'head', 'v0.14.1', 'report.bin', 'policy.rego', 'input.json', 'missing.bin',
  'certs', '/proc/self/mem', '', '=', '--seed=', '--', 'snp', 'policy', 'verify', 'show'];

/** The working directory: the files the seed command lines name. */
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parma-fuzz-cli-'));
  writeFileSync(join(dir, 'report.bin'), generateReport({ seed: 3, product: 'Milan' }).report);
  writeFileSync(join(dir, 'policy.rego'), POLICY);
  writeFileSync(join(dir, 'input.json'), JSON.stringify({ target: '/run/mounts/scsi/m0',
    deviceHash: 'ab'.repeat(32) }));
  writeFileSync(join(dir, 'commands.json'), JSON.stringify([{ rule: 'mount_device',
    input: { target: '/run/mounts/scsi/m0', deviceHash: 'ab'.repeat(32) } }]));
  writeFileSync(join(dir, 'layer.img'), new Uint8Array(8192).fill(7));
  writeFileSync(join(dir, 'ovmf.bin'), new Uint8Array(4096));
  return dir;
}

/** Keeps a mutated command line away from stdin and from the long-running commands. */
function tamed(argv: string[]): string[] {
  const words = argv.map((word) => (word === '-' ? '--' : word));
  if (words.length > 0 && LONG_RUNNING.has(words[0]!)) words[0] = 'help';
  return words;
}

test(`${SUITE}: mutated command lines exit with a documented code and a reason, never an `
  + 'internal error, within a bound', async () => {
  const dir = workdir();
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    await main(['snp', 'certs', '--seed', '3', '--product', 'milan', '--out', 'certs'],
      { stdout: () => undefined, stderr: () => undefined });
    const arbitrary = fc.oneof(...SEEDS.map((seed) => mutatedWords(seed, POOL)
      .map((argv) => tamed(argv)).map((argv) => labelled({ argv }, JSON.stringify(argv)))));
    const codes = new Map<number, number>();
    await fc.assert(fc.asyncProperty(arbitrary, async ({ argv }) => {
      let out = '';
      const io = { stdout: (t: string) => { out += t; }, stderr: (t: string) => { out += t; } };
      const result = await outcomeAsync(() => main(argv, io), BOUND_MS);
      assert.ok(result.ok, 'main never rejects');
      if (!result.ok) return;
      codes.set(result.value, (codes.get(result.value) ?? 0) + 1);
      assert.ok(EXIT_CODES.has(result.value), `exit ${result.value}: ${out.slice(0, 400)}`);
      if (result.value !== 0) assert.ok(out.trim().length > 0, 'a failure says why');
    }), fuzzParameters(1801, 200));
    assert.ok((codes.get(0) ?? 0) > 0 && (codes.get(2) ?? 0) > 0,
      `both accepted and refused lines are exercised: ${JSON.stringify([...codes])}`);
    console.log(`${ranNote('cli', fuzzRuns(200))}; exit codes ${JSON.stringify([...codes])}`);
  } finally {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

/**
 * Goal: `parma-sim snp report` and `snp show` are deterministic across processes, set every field
 * they are asked to, and answer bad input with one line and the documented exit code.
 * Method: run the compiled CLI as child processes (spawnCli) twice per seed and compare bytes;
 * decode the output with the codec; check exit codes against sim/kernel/errors.ts exitCodeFor.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex, toHex } from '../../sim/kernel/bytes.js';
import {
  EXIT_IO, EXIT_MALFORMED, EXIT_REJECTED, EXIT_USAGE, exitCodeFor, SimError,
} from '../../sim/kernel/errors.js';
import {
  decodeAttestationReport, encodeAttestationReport,
} from '../../models/snp/attestation-report.js';
import { runCli, spawnCli, type CliResult } from '../support/cli.js';
import { shared, sharedTest } from '../support/requires.js';

const SUITE = 'snp/cli-report';
const dir = mkdtempSync(join(tmpdir(), 'parma-sim-snp-'));

function oneCleanLine(result: CliResult): void {
  const lines = result.stderr.trim().split('\n');
  assert.is(lines.length, 1, `one line, got: ${result.stderr}`);
  assert.not.match(result.stderr, /\n\s+at /, 'no stack trace');
}

test(`${SUITE}: exit codes used below are the table's: firmware refusal 10, malformed 30`, () => {
  assert.is(exitCodeFor(new SimError('SNP_FIRMWARE_STATUS')), EXIT_REJECTED);
  assert.is(exitCodeFor(new SimError('SNP_MBZ_NONZERO')), EXIT_MALFORMED);
  assert.is(EXIT_REJECTED, 10);
  assert.is(EXIT_MALFORMED, 30);
});

for (const product of ['Milan', 'Genoa', 'Turin']) {
  test(`${SUITE}: the same seed gives byte-identical ${product} reports in two processes`, () => {
    const a = spawnCli(['snp', 'report', '--seed', '42', '--product', product]);
    const b = spawnCli(['snp', 'report', '--seed', '42', '--product', product]);
    assert.is(a.code, 0, a.stderr);
    assert.is(a.stdout.trim().length, 2 * 0x4a0);
    assert.is(a.stdout, b.stdout);
  });
}

test(
  `${SUITE}: different seeds give different reports (chip id, REPORT_ID and signature differ)`,
  () => {
    const a = decodeAttestationReport(
      fromHex(spawnCli(['snp', 'report', '--seed', '1']).stdout.trim()),
    );
    const b = decodeAttestationReport(
      fromHex(spawnCli(['snp', 'report', '--seed', '2']).stdout.trim()),
    );
    assert.is.not(toHex(a.chip_id), toHex(b.chip_id));
    assert.is.not(toHex(a.report_id), toHex(b.report_id));
    assert.is.not(toHex(a.signature_r), toHex(b.signature_r));
  },
);

test(`${SUITE}: --out writes the raw 1184 bytes, equal to the hex on stdout`, () => {
  const out = join(dir, 'r.bin');
  const written = spawnCli(['snp', 'report', '--seed', '5', '--out', out]);
  assert.is(written.code, 0, written.stderr);
  const hex = spawnCli(['snp', 'report', '--seed', '5']).stdout.trim();
  assert.is(toHex(new Uint8Array(readFileSync(out))), hex);
});

test(`${SUITE}: every settable field lands in the report`, async () => {
  const result = await runCli([
    'snp', 'report', '--seed', '9', '--product', 'Genoa', '--firmware', '1.55.40',
    '--report-data', 'aa'.repeat(64), '--host-data', 'bb'.repeat(32),
    '--measurement', 'cc'.repeat(48), '--policy', '0x3001f', '--vmpl', '2',
    '--family-id', '01'.repeat(16), '--image-id', '02'.repeat(16),
    '--guest-svn', '22', '--tcb', 'bl=10,tee=1,snp=26,ucode=90', '--reported-tcb', 'ucode=84',
    '--committed-tcb', 'snp=25', '--launch-tcb', '0x5a1900000000000a', '--chip-id', 'dd'.repeat(64),
    '--platform-info', '0x25', '--id-key-digest', 'ee'.repeat(48), '--report-id', '11'.repeat(32),
    '--version', '5', '--current-mit-vector', '3', '--launch-mit-vector', '1',
  ]);
  assert.is(result.code, 0, result.stderr);
  const r = decodeAttestationReport(fromHex(result.stdout.trim()));
  assert.is(toHex(r.report_data), 'aa'.repeat(64));
  assert.is(toHex(r.host_data), 'bb'.repeat(32));
  assert.is(toHex(r.measurement), 'cc'.repeat(48));
  assert.is(r.policy, 0x3001fn);
  assert.is(r.vmpl, 2);
  assert.is(toHex(r.family_id), '01'.repeat(16));
  assert.is(toHex(r.image_id), '02'.repeat(16));
  assert.is(r.guest_svn, 22);
  assert.is(r.current_tcb, 0x5a1a00000000010an);
  assert.is(r.reported_tcb, 0x541a00000000010an);
  assert.is(r.committed_tcb, 0x5a1900000000010an);
  assert.is(r.launch_tcb, 0x5a1900000000000an); // bl 10, tee 0, snp 25, ucode 90
  assert.is(toHex(r.chip_id), 'dd'.repeat(64));
  assert.is(r.platform_info, 0x25n);
  assert.is(toHex(r.id_key_digest), 'ee'.repeat(48));
  assert.is(toHex(r.report_id), '11'.repeat(32));
  assert.is(r.version, 5);
  assert.equal([r.current_major, r.current_minor, r.current_build], [1, 55, 40]);
  assert.is(r.current_mit_vector, 3n);
  assert.is(r.launch_mit_vector, 1n);
});

test(
  `${SUITE}: --signing-key vlek signs with a VLEK (KEY_INFO 0x4) and --mask-chip-id zeroes CHIP_ID`,
  async () => {
    const result = await runCli(['snp', 'report', '--signing-key', 'vlek', '--mask-chip-id']);
    assert.is(result.code, 0, result.stderr);
    const r = decodeAttestationReport(fromHex(result.stdout.trim()));
    assert.is(r.key_info, 0x4);
    assert.ok(r.chip_id.every((b) => b === 0));
  },
);

test(`${SUITE}: show prints the JSON view of a generated report`, () => {
  const out = join(dir, 'turin.bin');
  assert.is(spawnCli(['snp', 'report', '--product', 'turin', '--out', out]).code, 0);
  const shown = spawnCli(['snp', 'show', out]);
  assert.is(shown.code, 0, shown.stderr);
  const view = JSON.parse(shown.stdout) as Record<string, unknown>;
  assert.is(view['product'], 'Turin');
  assert.is(view['version'], 5);
  assert.is(view['tcb_layout'], 'turin');
});

sharedTest(`${SUITE}: show of a real report prints its facts (milan-v2-aci, v2 with `
  + `--product)`, () => {
  const path = shared('snp', 'reports', 'milan-v2-aci', 'report.bin');
  const shown = spawnCli(['snp', 'show', path, '--product', 'milan']);
  assert.is(shown.code, 0, shown.stderr);
  const view = JSON.parse(shown.stdout) as Record<string, Record<string, unknown>>;
  assert.is(view['host_data'], 'cadd74f71ebb8fbf9782baab649612520f3c416bc5ce9ac768808ddc8d9b031c');
  assert.is(view['current_tcb']!['ucode'], 115);
});

// ---------------------------------------------------------------------------------------------
// Bad input: exit code and one line, no stack trace

const BAD_REPORT_ARGS: readonly (readonly [string, readonly string[], number])[] = [
  ['an unknown flag', ['--bogus'], EXIT_USAGE],
  ['a non-hex --measurement', ['--measurement', 'xyz'], EXIT_USAGE],
  ['a short --host-data', ['--host-data', 'abcd'], EXIT_USAGE],
  ['--version 4', ['--version', '4'], EXIT_USAGE],
  ['an unknown --product', ['--product', 'naples'], EXIT_USAGE],
  ['a malformed --tcb', ['--tcb', 'bl=1,fmc=2'], EXIT_USAGE],
  ['a stray argument', ['extra'], EXIT_USAGE],
  ['--vmpl below --sender-vmpl (INVALID_PARAM)', ['--vmpl', '0', '--sender-vmpl', '2'],
    EXIT_REJECTED],
  ['--signing-key vcek with --mask-chip-key (INVALID_KEY)',
    ['--signing-key', 'vcek', '--mask-chip-key'], EXIT_REJECTED],
  // Flags that contradict each other are a usage error, not a malformed input (no input file).
  ['--version 2 on Turin', ['--version', '2', '--product', 'turin'], EXIT_USAGE],
];
for (const [what, args, code] of BAD_REPORT_ARGS) {
  test(`${SUITE}: snp report with ${what} exits ${code} with one line`, () => {
    const result = spawnCli(['snp', 'report', ...args]);
    assert.is(result.code, code, result.stderr);
    assert.is(result.stdout, '');
    oneCleanLine(result);
  });
}

function writeBad(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const good = fromHex(spawnCli(['snp', 'report', '--seed', '3']).stdout.trim());
const mbz = good.slice();
mbz[0x4c] = 1;
const unknownVersion = good.slice();
unknownVersion[0] = 4;
const garbage = new Uint8Array(0x4a0).map((_, i) => (i * 151 + 7) & 0xff);

const BAD_SHOW: readonly (readonly [string, Uint8Array, number])[] = [
  ['a truncated report', good.subarray(0, 1000), EXIT_MALFORMED],
  ['an oversized report', new Uint8Array([...good, 0]), EXIT_MALFORMED],
  ['garbage', garbage, EXIT_MALFORMED],
  ['an unknown VERSION', unknownVersion, EXIT_MALFORMED],
  ['a non-zero reserved byte (strict)', mbz, EXIT_MALFORMED],
];
for (const [what, bytes, code] of BAD_SHOW) {
  test(`${SUITE}: snp show of ${what} exits ${code} with one line`, () => {
    const result = spawnCli(['snp', 'show', writeBad(`${what.replace(/\W+/g, '-')}.bin`, bytes)]);
    assert.is(result.code, code, result.stderr);
    oneCleanLine(result);
  });
}

test(`${SUITE}: snp show --non-strict accepts a non-zero reserved byte and shows it`, () => {
  const result = spawnCli(['snp', 'show', '--non-strict', writeBad('mbz-ok.bin', mbz)]);
  assert.is(result.code, 0, result.stderr);
  const view = JSON.parse(result.stdout) as Record<string, Record<string, string>>;
  assert.is(view['reserved']!['reserved_04c'], '01000000');
  assert.ok(
    encodeAttestationReport(decodeAttestationReport(mbz, { strict: false }))
      .every((b, i) => b === mbz[i]),
  );
});

test(`${SUITE}: snp show of a report from another product than --product exits 30`, () => {
  const result = spawnCli(['snp', 'show', writeBad('milan.bin', good), '--product', 'turin']);
  assert.is(result.code, EXIT_MALFORMED);
  oneCleanLine(result);
});

test(`${SUITE}: snp show of a missing file exits 40`, () => {
  const result = spawnCli(['snp', 'show', join(dir, 'nope.bin')]);
  assert.is(result.code, EXIT_IO);
  oneCleanLine(result);
});

test.run();

/**
 * Goal: the configfs-tsm double behaves as the kernel's interface does for a JS consumer that is
 * handed an `fs`: mkdir makes an entry, `provider` reads sev_guest, writing 64 bytes of inblob and
 * reading outblob gives a report with that REPORT_DATA and auxblob the certificates that verify
 * it; outblob is regenerated exactly when a write happened since; `generation` counts writes, so
 * a reader detects a racing writer; the kernel's refusals (EFBIG, EINVAL, EACCES) leave the entry
 * unchanged.
 * Method: a counting provider around createFakeSnp; report fields read at their ABI offsets;
 * the verifier judges the report with the auxblob certificates; errors judged by `error.code`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCertTable } from '../../models/snp/cert-table.js';
import { verifyAttestationReport } from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { createConfigfsTsm, type TsmReportProvider } from '../../sim/configfs-tsm.js';
import { createFakeSnp } from '../../sim/server.js';
import { OFFSET, hex, reportBytesAt } from './support.js';

const ENTRY = '/sys/kernel/config/tsm/report/r0';

function counting(): { provider: TsmReportProvider; calls: () => number } {
  const fake = createFakeSnp({ seed: 71 });
  let calls = 0;
  return {
    provider: { extendedReport: (options) => { calls++; return fake.extendedReport(options); } },
    calls: () => calls,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
  return undefined;
}

const nonce = (byte: number) => new Uint8Array(64).fill(byte);

test('configfs-tsm: mkdir makes an entry whose provider is sev_guest, privlevel_floor 0 and '
  + 'generation 0', () => {
  const { fs } = createConfigfsTsm(counting());
  fs.mkdirSync(ENTRY);
  assert.equal(fs.readdirSync(ENTRY).map(String).sort(), ['auxblob', 'generation', 'inblob',
    'outblob', 'privlevel', 'privlevel_floor', 'provider']);
  assert.is(fs.readFileSync(`${ENTRY}/provider`, 'utf8'), 'sev_guest\n');
  assert.is(fs.readFileSync(`${ENTRY}/privlevel_floor`, 'utf8'), '0\n');
  assert.is(fs.readFileSync(`${ENTRY}/generation`, 'utf8'), '0\n');
});

test('configfs-tsm: outblob is a report with REPORT_DATA = inblob, and auxblob holds the '
  + 'certificates that verify it', () => {
  const { fs } = createConfigfsTsm(counting());
  fs.mkdirSync(ENTRY);
  fs.writeFileSync(`${ENTRY}/inblob`, nonce(0xa5));
  const report = new Uint8Array(fs.readFileSync(`${ENTRY}/outblob`) as Buffer);
  assert.is(report.length, 0x4a0);
  assert.is(hex(reportBytesAt(report, OFFSET.report_data, 64)), 'a5'.repeat(64));
  const [vcek, ask, ark] = decodeCertTable(new Uint8Array(fs.readFileSync(`${ENTRY}/auxblob`) as
    Buffer)).map((entry) => entry.data);
  const verdict = verifyAttestationReport(report, { vcek: vcek!, ask: ask!, ark: ark! },
    { trustAnchors: parmaSimTestAnchors() });
  assert.equal(verdict.failures, []);
});

test('configfs-tsm: outblob is regenerated when inblob changes and only then', async () => {
  const tsm = counting();
  const { fs } = createConfigfsTsm(tsm);
  fs.mkdirSync(ENTRY);
  fs.writeFileSync(`${ENTRY}/inblob`, nonce(1));
  const first = hex(fs.readFileSync(`${ENTRY}/outblob`) as Buffer);
  fs.readFileSync(`${ENTRY}/auxblob`);
  hex(await fs.promises.readFile(`${ENTRY}/outblob`) as Buffer);
  assert.is(tsm.calls(), 1, 'reads without a write reuse the report');
  await fs.promises.writeFile(`${ENTRY}/inblob`, nonce(2));
  const second = hex(fs.readFileSync(`${ENTRY}/outblob`) as Buffer);
  assert.is(tsm.calls(), 2);
  assert.not.equal(second, first);
  assert.is(second.slice(2 * OFFSET.report_data, 2 * OFFSET.report_data + 128), '02'.repeat(64));
});

test('configfs-tsm: generation counts writes, so a reader sees a racing writer', () => {
  const { fs } = createConfigfsTsm(counting());
  fs.mkdirSync(ENTRY);
  const generation = () => Number(fs.readFileSync(`${ENTRY}/generation`, 'utf8'));
  const before = generation();
  fs.writeFileSync(`${ENTRY}/inblob`, nonce(0x11)); // reader A
  fs.writeFileSync(`${ENTRY}/inblob`, nonce(0x22)); // writer B races in
  const report = new Uint8Array(fs.readFileSync(`${ENTRY}/outblob`) as Buffer);
  const after = generation();
  assert.is(after, before + 2);
  assert.ok(after !== before + 1, 'A expected one write (its own) and detects the race');
  assert.is(report[OFFSET.report_data], 0x22, 'the report is for B\'s inblob');
});

test('configfs-tsm: privlevel sets the report VMPL within privlevel_floor..3', () => {
  const { fs } = createConfigfsTsm(counting());
  fs.mkdirSync(ENTRY);
  fs.writeFileSync(`${ENTRY}/inblob`, nonce(3));
  fs.writeFileSync(`${ENTRY}/privlevel`, '2\n');
  const report = new Uint8Array(fs.readFileSync(`${ENTRY}/outblob`) as Buffer);
  assert.is(new DataView(report.buffer).getUint32(0x30, true), 2);
  assert.is(fs.readFileSync(`${ENTRY}/generation`, 'utf8'), '2\n');
});

type TsmFs = ReturnType<typeof createConfigfsTsm>['fs'];

const REFUSALS: readonly (readonly [string, string, (fs: TsmFs) => unknown])[] = [
  ['an inblob over 64 bytes (EFBIG)', 'EFBIG',
    (fs) => fs.writeFileSync(`${ENTRY}/inblob`, new Uint8Array(65))],
  ['a privlevel above 3 (EINVAL)', 'EINVAL', (fs) => fs.writeFileSync(`${ENTRY}/privlevel`, '4')],
  ['a privlevel that is not a number (EINVAL)', 'EINVAL',
    (fs) => fs.writeFileSync(`${ENTRY}/privlevel`, 'two')],
  ['a write to outblob (EACCES)', 'EACCES', (fs) => fs.writeFileSync(`${ENTRY}/outblob`, 'x')],
  ['a write to generation (EACCES)', 'EACCES',
    (fs) => fs.writeFileSync(`${ENTRY}/generation`, '9')],
  ['a read of the write-only inblob (EACCES)', 'EACCES',
    (fs) => fs.readFileSync(`${ENTRY}/inblob`)],
  ['unlinking an attribute (EPERM)', 'EPERM', (fs) => fs.unlinkSync(`${ENTRY}/outblob`)],
];

for (const [what, code, act] of REFUSALS) {
  test(`configfs-tsm: ${what} is refused and the entry is unchanged`, () => {
    const tsm = createConfigfsTsm(counting());
    tsm.fs.mkdirSync(ENTRY);
    tsm.fs.writeFileSync(`${ENTRY}/inblob`, nonce(4));
    const before = tsm.entry('r0');
    assert.is(codeOf(() => act(tsm.fs)), code);
    assert.is(tsm.entry('r0'), before);
    assert.is(tsm.fs.readFileSync(`${ENTRY}/generation`, 'utf8'), '1\n');
  });
}

test('configfs-tsm: the sev provider refuses a report for an inblob that is not 64 bytes (EINVAL)',
  () => {
    const { fs } = createConfigfsTsm(counting());
    fs.mkdirSync(ENTRY);
    fs.writeFileSync(`${ENTRY}/inblob`, new Uint8Array(32));
    assert.is(codeOf(() => fs.readFileSync(`${ENTRY}/outblob`)), 'EINVAL');
  });

test('configfs-tsm: privlevel below a floor of 2 is EINVAL; rmdir removes the entry', () => {
  const tsm = createConfigfsTsm({ ...counting(), privlevelFloor: 2 });
  tsm.fs.mkdirSync(ENTRY);
  assert.is(tsm.fs.readFileSync(`${ENTRY}/privlevel_floor`, 'utf8'), '2\n');
  assert.is(codeOf(() => tsm.fs.writeFileSync(`${ENTRY}/privlevel`, '1')), 'EINVAL');
  tsm.fs.rmdirSync(ENTRY);
  assert.not.ok(tsm.fs.existsSync(ENTRY));
  assert.is(tsm.entry('r0'), undefined);
  assert.is(codeOf(() => tsm.fs.readFileSync(`${ENTRY}/outblob`)), 'ENOENT');
});

test('configfs-tsm: the callback forms follow the same rules', async () => {
  const { fs } = createConfigfsTsm(counting());
  fs.mkdirSync(ENTRY);
  await new Promise<void>((resolve, reject) => fs.writeFile(`${ENTRY}/inblob`, nonce(5),
    (error) => (error ? reject(error) : resolve())));
  const report = await new Promise<Buffer>((resolve, reject) => fs.readFile(`${ENTRY}/outblob`,
    (error, data) => (error ? reject(error) : resolve(data as Buffer))));
  assert.is(report[OFFSET.report_data], 5);
  const code = await new Promise<string | undefined>((resolve) => fs.writeFile(
    `${ENTRY}/inblob`, new Uint8Array(65), (error) => resolve(error?.code)));
  assert.is(code, 'EFBIG');
});

test.run();

/**
 * Goal: `snp verify` follows the SEV-SNP ABI (spec snp.md a.1-a.7) and agrees with `snp show`: a
 * report that breaks a rule — a reserved byte in any TCB_VERSION field (either layout), GUEST
 * POLICY bit 17 clear or a reserved POLICY bit set, a KEY_INFO reserved bit, a reserved
 * SIGNING_KEY, VMPL above 3, SIGNATURE_ALGO other than 1, a reserved range — is rejected with
 * that rule's own code, even though it carries a valid signature.
 * Method: take a genuine parma-sim report (its verdict is ok: checked first), change exactly one
 * thing, re-sign it with the genuine endorsement key, so the signature, chain and appraisal all
 * pass and only the ABI rule can catch it. Each case is judged three ways: the library verdict
 * lists exactly the expected VERIFY_* code, `snp show` (report-view) throws the expected SNP_*
 * code, and the CLI (`parma-sim snp verify` / `snp show`) exits 10 / 30 with the same codes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../sim/kernel/errors.js';
import {
  ATTESTATION_REPORT, decodeAttestationReport, encodeAttestationReport, type AttestationReport,
} from '../../models/snp/attestation-report.js';
import { buildCertificateSet, toPem } from '../../models/snp/certificates.js';
import type { EndorsementKey } from '../../models/snp/endorsement-keys.js';
import type { Product } from '../../models/snp/product.js';
import { reportJson } from '../../models/snp/report-view.js';
import { generateReport, type GenerateReportOptions } from '../../models/snp/report-generator.js';
import { signAttestationReport } from '../../models/snp/report-signature.js';
import { parseFirmwareVersion } from '../../models/snp/platform.js';
import {
  verifyAttestationReport, type EvidenceCertificates,
} from '../../models/verifier/report-verifier.js';
import { parmaSimTestAnchors } from '../../models/verifier/trust-anchors.js';
import { runCli } from '../support/cli.js';

type Genuine = Readonly<{
  report: Uint8Array; key: EndorsementKey; certs: EvidenceCertificates; dir: string;
}>;

const work = mkdtempSync(join(tmpdir(), 'parma-sim-abi-'));
const genuineCache = new Map<string, Genuine>();

/** A genuine report of `product` (firmware `firmware`, default the product's), with its chain. */
function genuine(product: Product, firmware?: string): Genuine {
  const id = `${product}-${firmware ?? 'default'}`;
  const cached = genuineCache.get(id);
  if (cached !== undefined) return cached;
  const options: GenerateReportOptions = {
    seed: 31, product,
    ...(firmware === undefined ? {} : { firmwareVersion: parseFirmwareVersion(firmware) }),
  };
  const generated = generateReport(options);
  assert.ok(generated.endorsementKey !== undefined, 'the genuine report is signed');
  const set = buildCertificateSet({ seed: 31, product, platform: generated.platform });
  const dir = join(work, id);
  const certs: EvidenceCertificates = { ark: set.ark, ask: set.ask, vcek: set.endorsementCert };
  writeFiles(dir, {
    'vcek.der': set.endorsementCert, 'ask.pem': toPem(set.ask), 'ark.pem': toPem(set.ark),
  });
  const made = { report: generated.report, key: generated.endorsementKey, certs, dir };
  genuineCache.set(id, made);
  return made;
}

function writeFiles(dir: string, files: Readonly<Record<string, Uint8Array | string>>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

const verdictOf = (report: Uint8Array, certs: EvidenceCertificates) =>
  verifyAttestationReport(report, certs, { trustAnchors: parmaSimTestAnchors() });

const codes = (report: Uint8Array, certs: EvidenceCertificates): string[] =>
  verdictOf(report, certs).failures.map((f) => f.code);

/** Decode leniently, change one thing, re-encode and re-sign with the genuine key. */
function resign(g: Genuine, change: (r: AttestationReport) => void): Uint8Array {
  const report = decodeAttestationReport(g.report, { strict: false });
  change(report);
  return signAttestationReport(encodeAttestationReport(report), g.key);
}

type AbiCase = Readonly<{
  name: string; product: Product; firmware?: string; verifyCode: string; snpCode: string;
  change: (r: AttestationReport) => void;
}>;

const setTcbByte = (field: 'current_tcb' | 'reported_tcb' | 'committed_tcb' | 'launch_tcb',
  byte: number) => (r: AttestationReport): void => { r[field] |= 0x5an << BigInt(8 * byte); };

const reserveRange = (name: string) => (r: AttestationReport): void => {
  const field = ATTESTATION_REPORT.fields.find((f) => f.name === name)!;
  const bytes = new Uint8Array(field.sizeBytes);
  bytes[field.sizeBytes - 1] = 0x80;
  r.reserved = { ...(r.reserved ?? {}), [name]: bytes };
};

const TCB_FIELDS = ['current_tcb', 'reported_tcb', 'committed_tcb', 'launch_tcb'] as const;

const CASES: readonly AbiCase[] = [
  // Milan/Genoa layout: bytes 2..5 are reserved; Turin layout: bytes 4..6 (spec snp.md a.7).
  ...TCB_FIELDS.map((field, i): AbiCase => ({
    name: `a reserved byte (${2 + i}) of ${field}, Milan/Genoa layout`, product: 'Genoa',
    verifyCode: 'VERIFY_RESERVED', snpCode: 'SNP_MBZ_NONZERO', change: setTcbByte(field, 2 + i),
  })),
  ...TCB_FIELDS.map((field, i): AbiCase => ({
    name: `a reserved byte (${4 + (i % 3)}) of ${field}, Turin layout`, product: 'Turin',
    verifyCode: 'VERIFY_RESERVED', snpCode: 'SNP_MBZ_NONZERO',
    change: setTcbByte(field, 4 + (i % 3)),
  })),
  {
    name: 'guest POLICY bit 17 (must be one) cleared', product: 'Genoa',
    verifyCode: 'VERIFY_RESERVED', snpCode: 'SNP_MBZ_NONZERO',
    change: (r) => { r.policy &= ~(1n << 17n); },
  },
  ...[26n, 40n, 63n].map((bit): AbiCase => ({
    name: `reserved guest POLICY bit ${bit} set`, product: 'Genoa',
    verifyCode: 'VERIFY_RESERVED', snpCode: 'SNP_MBZ_NONZERO',
    change: (r) => { r.policy |= 1n << bit; },
  })),
  {
    name: 'POLICY bit 22 (MEM_AES_256_XTS) in a VERSION 2 report, before the bit existed',
    product: 'Milan', firmware: '1.52.4', verifyCode: 'VERIFY_RESERVED',
    snpCode: 'SNP_MBZ_NONZERO', change: (r) => { r.policy |= 1n << 22n; },
  },
  {
    name: 'POLICY bit 25 (PAGE_SWAP_DISABLE) in a VERSION 3 report', product: 'Milan',
    verifyCode: 'VERIFY_RESERVED', snpCode: 'SNP_MBZ_NONZERO',
    change: (r) => { r.policy |= 1n << 25n; },
  },
  ...[5, 31].map((bit): AbiCase => ({
    name: `KEY_INFO reserved bit ${bit} set`, product: 'Genoa', verifyCode: 'VERIFY_RESERVED',
    snpCode: 'SNP_MBZ_NONZERO', change: (r) => { r.key_info = (r.key_info | (1 << bit)) >>> 0; },
  })),
  {
    name: 'KEY_INFO.SIGNING_KEY 3 (reserved)', product: 'Genoa', verifyCode: 'VERIFY_SIGNING_KEY',
    snpCode: 'SNP_BAD_FIELD', change: (r) => { r.key_info = 3 << 2; },
  },
  ...[4, 0xffff_ffff].map((vmpl): AbiCase => ({
    name: `VMPL ${vmpl} (above 3)`, product: 'Genoa', verifyCode: 'VERIFY_BAD_FIELD',
    snpCode: 'SNP_BAD_FIELD', change: (r) => { r.vmpl = vmpl; },
  })),
  ...[0, 2].map((algo): AbiCase => ({
    name: `SIGNATURE_ALGO ${algo}`, product: 'Genoa', verifyCode: 'VERIFY_SIGNATURE_ALGO',
    snpCode: 'SNP_BAD_FIELD', change: (r) => { r.signature_algo = algo; },
  })),
  ...['reserved_04c', 'reserved_18b', 'reserved_1eb', 'reserved_1ef', 'reserved_208']
    .map((name): AbiCase => ({
      name: `reserved range ${name}`, product: 'Genoa', verifyCode: 'VERIFY_RESERVED',
      snpCode: 'SNP_MBZ_NONZERO', change: reserveRange(name),
    })),
  {
    name: 'CPUID_FAM_ID in a VERSION 2 report (reserved there)', product: 'Milan',
    firmware: '1.52.4', verifyCode: 'VERIFY_RESERVED', snpCode: 'SNP_MBZ_NONZERO',
    change: (r) => { r.cpuid_fam_id = 0x19; },
  },
  {
    name: 'LAUNCH_MIT_VECTOR in a VERSION 3 report (reserved before 5)', product: 'Milan',
    verifyCode: 'VERIFY_RESERVED', snpCode: 'SNP_MBZ_NONZERO',
    change: (r) => { r.launch_mit_vector = 1n; },
  },
];

test('verifier/abi: every genuine report the cases start from verifies and shows', () => {
  const starts = [...new Set(CASES.map((c) => `${c.product}|${c.firmware ?? ''}`))];
  assert.ok(starts.length >= 3);
  for (const start of starts) {
    const [product, firmware] = start.split('|') as [Product, string];
    const g = genuine(product, firmware === '' ? undefined : firmware);
    assert.equal(codes(g.report, g.certs), [], start);
    assert.is(errorCode(() => reportJson(g.report)), undefined, start);
  }
});

for (const c of CASES) {
  test(`verifier/abi: ${c.name}, re-signed, is rejected with ${c.verifyCode} ` +
    `(snp show: ${c.snpCode}; CLI exits 10 and 30)`, async () => {
    const g = genuine(c.product, c.firmware);
    const report = resign(g, c.change);
    assert.equal(codes(report, g.certs), [c.verifyCode], 'only the ABI rule catches it');
    assert.is(errorCode(() => reportJson(report)), c.snpCode);
    const file = join(g.dir, `${c.name.replace(/[^a-z0-9]+/gi, '-')}.bin`);
    writeFileSync(file, report);
    const cli = await runCli(['snp', 'verify', '--report', file, '--certs', g.dir, '--test-roots']);
    assert.is(cli.code, 10, cli.stderr);
    const verdict = JSON.parse(cli.stdout) as { failures: { code: string }[] };
    assert.equal(verdict.failures.map((f) => f.code), [c.verifyCode]);
    const shown = await runCli(['snp', 'show', file]);
    assert.is(shown.code, 30);
    assert.match(shown.stderr, c.snpCode);
  });
}

test('verifier/abi: the unsigned bytes after S are judged by the same table', () => {
  const g = genuine('Genoa');
  const report = g.report.slice();
  report[0x49f] = 1;
  const verdict = verdictOf(report, g.certs);
  assert.equal(verdict.failures.map((f) => f.code), ['VERIFY_RESERVED']);
  assert.is(verdict.failures[0]!.detail['rule'], 'reserved_range');
  assert.is(errorCode(() => reportJson(report)), 'SNP_MBZ_NONZERO');
});

test('verifier/abi: snp show --non-strict lists the violations the strict view throws', () => {
  const g = genuine('Turin');
  const report = resign(g, (r) => { r.vmpl = 7; r.policy &= ~(1n << 17n); });
  const view = JSON.parse(reportJson(report, { strict: false })) as {
    abi_violations: { rule: string; field: string }[];
  };
  assert.equal(view.abi_violations.map((v) => v.rule), ['policy_bits', 'vmpl_range']);
  assert.equal(codes(report, g.certs), ['VERIFY_RESERVED', 'VERIFY_BAD_FIELD']);
});

test('verifier/abi: --no-strict-reserved tolerates reserved bits in the signed span, never a ' +
  'field out of range or SIGNATURE_ALGO', () => {
  const g = genuine('Genoa');
  const lenient = (report: Uint8Array): string[] => verifyAttestationReport(report, g.certs,
    { trustAnchors: parmaSimTestAnchors(), strictReserved: false }).failures.map((f) => f.code);
  assert.equal(lenient(resign(g, (r) => { r.policy |= 1n << 40n; r.current_tcb |= 1n << 24n; })),
    []);
  assert.equal(lenient(resign(g, (r) => { r.vmpl = 5; })), ['VERIFY_BAD_FIELD']);
  assert.equal(lenient(resign(g, (r) => { r.signature_algo = 0; })), ['VERIFY_SIGNATURE_ALGO']);
});

test.after(() => { rmSync(work, { recursive: true, force: true }); });

test.run();

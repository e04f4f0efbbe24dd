/**
 * Goal: the report codec is byte-exact on real reports and strict about reserved bytes.
 * Method: decode every real report under ../shared/testdata/snp/reports and compare it with the
 * facts SOURCES.md lists for it (parsed, not copied); re-encode and compare bytes; corrupt every
 * reserved range once (generated cases); feed truncated, oversized, garbage and unknown-version
 * input; fast-check the round trip over random valid reports.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../sim/kernel/bytes.js';
import { errorCode, SimError } from '../../sim/kernel/errors.js';
import {
  ATTESTATION_REPORT, decodeAttestationReport, encodeAttestationReport, REPORT_BYTES,
  type AttestationReport,
} from '../../models/snp/attestation-report.js';
import { reportView } from '../../models/snp/report-view.js';
import { shared, sharedTests } from '../support/requires.js';
import { loadReportFacts } from './sources-facts.js';

const SUITE = 'snp/attestation-report';

function reportBytes(dir: string): Uint8Array {
  return new Uint8Array(readFileSync(shared('snp', 'reports', dir, 'report.bin')));
}

type View = Record<string, unknown>;

sharedTests(`${SUITE}: each real report decodes to its SOURCES.md facts`, () => {
  for (const fact of loadReportFacts()) {
    test(`${SUITE}: ${fact.dir} has the SHA-256 SOURCES.md lists`, () => {
      const bytes = reportBytes(fact.dir);
      assert.is(bytes.length, REPORT_BYTES);
      assert.is(createHash('sha256').update(bytes).digest('hex'), fact.sha256);
    });

    test(`${SUITE}: ${fact.dir} decodes strictly to every SOURCES.md fact`, () => {
      const report = decodeAttestationReport(reportBytes(fact.dir));
      const record = report as unknown as Record<string, unknown>;
      for (const [name, value] of Object.entries(fact.numbers)) {
        assert.is(BigInt(record[name] as number | bigint), value, name);
      }
      for (const [name, hex] of Object.entries(fact.hex)) {
        assert.is(toHex(record[name] as Uint8Array), hex, name);
      }
      for (const [name, tcb] of Object.entries(fact.tcb)) assert.is(record[name], tcb.raw, name);
      assert.is(
        `${report.current_major}.${report.current_minor}.${report.current_build}`,
        fact.currentVersion,
      );
      assert.is(
        `${report.committed_major}.${report.committed_minor}.${report.committed_build}`,
        fact.committedVersion,
      );
      if (fact.cpuid !== undefined) {
        assert.equal([report.cpuid_fam_id, report.cpuid_mod_id, report.cpuid_step], fact.cpuid);
      }
      assert.is(report.reserved, undefined, 'no reserved byte is set in a real report');
    });

    test(
      `${SUITE}: ${fact.dir} view decodes TCBs, KEY_INFO, product and signature as SOURCES.md says`,
      () => {
        const view = reportView(
          decodeAttestationReport(reportBytes(fact.dir)), { product: fact.product as 'Milan' },
        ) as View;
        assert.is(view['tcb_layout'], fact.tcbLayout);
        for (const [name, tcb] of Object.entries(fact.tcb)) {
          const shown = view[name] as Record<string, unknown>;
          for (const [part, value] of Object.entries(tcb.parts)) {
            assert.is(shown[part], value, `${name}.${part}`);
          }
          assert.is(shown['raw'], tcb.raw);
        }
        const keyInfo = view['key_info'] as Record<string, unknown>;
        assert.is(keyInfo['signing_key'], fact.keyInfo['signing_key']);
        assert.is(keyInfo['mask_chip_key'], fact.keyInfo['mask_chip_key'] === 1);
        assert.is(keyInfo['author_key_en'], fact.keyInfo['author_key_en'] === 1);
        assert.is(keyInfo['signing_key_name'], fact.signedBy.toLowerCase());
        const signature = view['signature'] as Record<string, string>;
        assert.is(BigInt(signature['r']!), fact.signatureR);
        assert.is(BigInt(signature['s']!), fact.signatureS);
        assert.is(view['current_version'], fact.currentVersion);
        if (fact.cpuid !== undefined) assert.is(view['product'], fact.product);
      },
    );

    test(`${SUITE}: ${fact.dir} re-encodes to identical bytes`, () => {
      const bytes = reportBytes(fact.dir);
      assert.is(toHex(encodeAttestationReport(decodeAttestationReport(bytes))), toHex(bytes));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Reserved ranges: one generated case per mbz field and per version-gated field.

function sampleReport(version: 2 | 3 | 5): AttestationReport {
  const report: Record<string, unknown> = {};
  for (const field of ATTESTATION_REPORT.fields) {
    if (field.kind === 'mbz') continue;
    report[field.name] = field.kind === 'bytes' ? new Uint8Array(field.sizeBytes).fill(0x11)
      : field.kind === 'u64le' ? 0x30000n : 1;
  }
  report['version'] = version;
  if (version < 3) Object.assign(report, { cpuid_fam_id: 0, cpuid_mod_id: 0, cpuid_step: 0 });
  if (version < 5) Object.assign(report, { launch_mit_vector: 0n, current_mit_vector: 0n });
  return report as AttestationReport;
}

for (const field of ATTESTATION_REPORT.fields.filter((f) => f.kind === 'mbz')) {
  for (const at of [field.offsetBytes, field.offsetBytes + field.sizeBytes - 1]) {
    test(
      `${SUITE}: strict decode rejects a non-zero byte at 0x${at.toString(16)} in ${field.name}`,
      () => {
        const bytes = encodeAttestationReport(sampleReport(3));
        bytes[at] = 0xcc;
        assert.is(errorCode(() => decodeAttestationReport(bytes)), 'SNP_MBZ_NONZERO');
      },
    );
    test(
      `${SUITE}: non-strict decode keeps 0x${at.toString(16)} in ${field.name} and round-trips`,
      () => {
        const bytes = encodeAttestationReport(sampleReport(3));
        bytes[at] = 0xcc;
        const report = decodeAttestationReport(bytes, { strict: false });
        assert.ok(report.reserved?.[field.name] !== undefined);
        assert.is(toHex(encodeAttestationReport(report)), toHex(bytes));
      },
    );
  }
}

const GATED: readonly (readonly [string, number, 2 | 3])[] = [
  ['cpuid_fam_id', 0x188, 2], ['cpuid_mod_id', 0x189, 2], ['cpuid_step', 0x18a, 2],
  ['launch_mit_vector', 0x1f8, 3], ['current_mit_vector', 0x200, 3],
];
for (const [name, offset, version] of GATED) {
  test(
    `${SUITE}: a VERSION ${version} report with ${name} ` +
      `(0x${offset.toString(16)}) set is rejected strictly`,
    () => {
      const bytes = encodeAttestationReport(sampleReport(version));
      bytes[offset] = 0x19;
      assert.is(errorCode(() => decodeAttestationReport(bytes)), 'SNP_MBZ_NONZERO');
      assert.is(decodeAttestationReport(bytes, { strict: false }).version, version);
    },
  );
}

test(`${SUITE}: the view rejects KEY_INFO reserved bits and a clear POLICY bit 17 strictly`, () => {
  const keyInfo = { ...sampleReport(3), key_info: 1 << 5, cpuid_fam_id: 0x19, cpuid_mod_id: 1 };
  assert.throws(
    () => reportView(keyInfo),
    (e: unknown) => e instanceof SimError && e.code === 'SNP_MBZ_NONZERO',
  );
  const policy = {
    ...sampleReport(3), key_info: 0, policy: 0x10000n, cpuid_fam_id: 0x19, cpuid_mod_id: 1,
  };
  assert.throws(
    () => reportView(policy),
    (e: unknown) => e instanceof SimError && e.code === 'SNP_MBZ_NONZERO',
  );
  assert.equal((reportView(policy, { strict: false }) as View)['policy'] !== undefined, true);
});

test(`${SUITE}: the view tolerates unknown PLATFORM_INFO bits and shows them`, () => {
  const report = {
    ...sampleReport(3), key_info: 0, platform_info: 0x167n, cpuid_fam_id: 0x1a, cpuid_mod_id: 2,
  };
  const info = (reportView(report) as View)['platform_info'] as Record<string, unknown>;
  assert.is(info['unknown_bits'], 0x100n);
  assert.is(info['iommu_write_safe'], true);
});

// ---------------------------------------------------------------------------------------------
// Bad input

for (const version of [0, 1, 4, 6, 0xffff_ffff]) {
  test(`${SUITE}: VERSION ${version} is SNP_UNKNOWN_VERSION`, () => {
    const bytes = encodeAttestationReport(sampleReport(3));
    new DataView(bytes.buffer).setUint32(0, version, true);
    assert.is(errorCode(() => decodeAttestationReport(bytes)), 'SNP_UNKNOWN_VERSION');
  });
}

for (const length of [0, 1, REPORT_BYTES - 1, REPORT_BYTES + 1, 4096]) {
  test(`${SUITE}: ${length} bytes is SNP_BAD_LENGTH`, () => {
    assert.is(errorCode(() => decodeAttestationReport(new Uint8Array(length))), 'SNP_BAD_LENGTH');
  });
}

test(`${SUITE}: arbitrary bytes either decode or throw a SimError, never anything else`, () => {
  fc.assert(fc.property(fc.oneof(
    fc.uint8Array({ minLength: REPORT_BYTES, maxLength: REPORT_BYTES }),
    fc.uint8Array({ maxLength: 2000 }),
  ), (bytes) => {
    try {
      decodeAttestationReport(bytes);
    } catch (error) {
      return error instanceof SimError && error.code.startsWith('SNP_');
    }
    return true;
  }), { numRuns: 300 });
});

// ---------------------------------------------------------------------------------------------
// Round trip over random valid reports

const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32 = fc.nat({ max: 0xffff_ffff });
const u8 = fc.nat({ max: 0xff });

const validReport: fc.Arbitrary<AttestationReport> = fc.constantFrom(2, 3, 5).chain((version) =>
  fc.record({
    version: fc.constant(version), guest_svn: u32, policy: u64, family_id: bytesOf(16),
    image_id: bytesOf(16), vmpl: u32, signature_algo: u32, current_tcb: u64, platform_info: u64,
    key_info: u32, report_data: bytesOf(64), measurement: bytesOf(48), host_data: bytesOf(32),
    id_key_digest: bytesOf(48), author_key_digest: bytesOf(48), report_id: bytesOf(32),
    report_id_ma: bytesOf(32), reported_tcb: u64,
    cpuid_fam_id: version >= 3 ? u8 : fc.constant(0),
    cpuid_mod_id: version >= 3 ? u8 : fc.constant(0),
    cpuid_step: version >= 3 ? u8 : fc.constant(0), chip_id: bytesOf(64), committed_tcb: u64,
    current_build: u8, current_minor: u8, current_major: u8, committed_build: u8,
    committed_minor: u8, committed_major: u8, launch_tcb: u64,
    launch_mit_vector: version >= 5 ? u64 : fc.constant(0n),
    current_mit_vector: version >= 5 ? u64 : fc.constant(0n),
    signature_r: bytesOf(72), signature_s: bytesOf(72),
  }) as fc.Arbitrary<AttestationReport>);

test(`${SUITE}: decode(encode(r)) = r for random valid reports (round-trip law)`, () => {
  fc.assert(fc.property(validReport, (report) => {
    const bytes = encodeAttestationReport(report);
    // fc.record objects have a null prototype
    assert.equal(decodeAttestationReport(bytes), { ...report });
    assert.is(toHex(encodeAttestationReport(decodeAttestationReport(bytes))), toHex(bytes));
  }), { numRuns: 200 });
});

test.run();

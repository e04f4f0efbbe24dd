/**
 * Models: AMD-SP firmware ATTESTATION_REPORT (SEV-SNP Firmware ABI spec 56860, "ATTESTATION_REPORT
 * structure": Table 21 in rev 1.5x, Table 23 in rev 1.57+), report VERSION 2, 3 and 5.
 * Real counterpart: the 0x4A0-byte report inside MSG_REPORT_RSP. Differs: nothing in the layout.
 * Invariants: length 0x4A0; every reserved range is listed and must be zero (strict decode);
 * CPUID_* are reserved in v2, the MIT vectors are reserved in v2/v3; the signature covers
 * bytes [0x000, 0x2A0); R and S are LE72; bytes after S inside the signature field are zero.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import {
  type Decoded, type DecodeOptions, decodeLayout, defineLayout, encodeLayout, fieldOf,
} from '../../sim/kernel/layout.js';

export const ATTESTATION_REPORT = defineLayout({ name: 'ATTESTATION_REPORT', sizeBytes: 0x4a0 }, [
  { name: 'version',            offsetBytes: 0x000, sizeBytes: 4,   kind: 'u32le' },
  { name: 'guest_svn',          offsetBytes: 0x004, sizeBytes: 4,   kind: 'u32le' },
  { name: 'policy',             offsetBytes: 0x008, sizeBytes: 8,   kind: 'u64le' },
  { name: 'family_id',          offsetBytes: 0x010, sizeBytes: 16,  kind: 'bytes' },
  { name: 'image_id',           offsetBytes: 0x020, sizeBytes: 16,  kind: 'bytes' },
  { name: 'vmpl',               offsetBytes: 0x030, sizeBytes: 4,   kind: 'u32le' },
  { name: 'signature_algo',     offsetBytes: 0x034, sizeBytes: 4,   kind: 'u32le' },
  { name: 'current_tcb',        offsetBytes: 0x038, sizeBytes: 8,   kind: 'u64le' },
  { name: 'platform_info',      offsetBytes: 0x040, sizeBytes: 8,   kind: 'u64le' },
  { name: 'key_info',           offsetBytes: 0x048, sizeBytes: 4,   kind: 'u32le' },
  { name: 'reserved_04c',       offsetBytes: 0x04c, sizeBytes: 4,   kind: 'mbz' },
  { name: 'report_data',        offsetBytes: 0x050, sizeBytes: 64,  kind: 'bytes' },
  { name: 'measurement',        offsetBytes: 0x090, sizeBytes: 48,  kind: 'bytes' },
  { name: 'host_data',          offsetBytes: 0x0c0, sizeBytes: 32,  kind: 'bytes' },
  { name: 'id_key_digest',      offsetBytes: 0x0e0, sizeBytes: 48,  kind: 'bytes' },
  { name: 'author_key_digest',  offsetBytes: 0x110, sizeBytes: 48,  kind: 'bytes' },
  { name: 'report_id',          offsetBytes: 0x140, sizeBytes: 32,  kind: 'bytes' },
  { name: 'report_id_ma',       offsetBytes: 0x160, sizeBytes: 32,  kind: 'bytes' },
  { name: 'reported_tcb',       offsetBytes: 0x180, sizeBytes: 8,   kind: 'u64le' },
  { name: 'cpuid_fam_id',       offsetBytes: 0x188, sizeBytes: 1,   kind: 'u8' },   // v3+
  { name: 'cpuid_mod_id',       offsetBytes: 0x189, sizeBytes: 1,   kind: 'u8' },   // v3+
  { name: 'cpuid_step',         offsetBytes: 0x18a, sizeBytes: 1,   kind: 'u8' },   // v3+
  { name: 'reserved_18b',       offsetBytes: 0x18b, sizeBytes: 21,  kind: 'mbz' },
  { name: 'chip_id',            offsetBytes: 0x1a0, sizeBytes: 64,  kind: 'bytes' },
  { name: 'committed_tcb',      offsetBytes: 0x1e0, sizeBytes: 8,   kind: 'u64le' },
  { name: 'current_build',      offsetBytes: 0x1e8, sizeBytes: 1,   kind: 'u8' },
  { name: 'current_minor',      offsetBytes: 0x1e9, sizeBytes: 1,   kind: 'u8' },
  { name: 'current_major',      offsetBytes: 0x1ea, sizeBytes: 1,   kind: 'u8' },
  { name: 'reserved_1eb',       offsetBytes: 0x1eb, sizeBytes: 1,   kind: 'mbz' },
  { name: 'committed_build',    offsetBytes: 0x1ec, sizeBytes: 1,   kind: 'u8' },
  { name: 'committed_minor',    offsetBytes: 0x1ed, sizeBytes: 1,   kind: 'u8' },
  { name: 'committed_major',    offsetBytes: 0x1ee, sizeBytes: 1,   kind: 'u8' },
  { name: 'reserved_1ef',       offsetBytes: 0x1ef, sizeBytes: 1,   kind: 'mbz' },
  { name: 'launch_tcb',         offsetBytes: 0x1f0, sizeBytes: 8,   kind: 'u64le' },
  { name: 'launch_mit_vector',  offsetBytes: 0x1f8, sizeBytes: 8,   kind: 'u64le' }, // v5
  { name: 'current_mit_vector', offsetBytes: 0x200, sizeBytes: 8,   kind: 'u64le' }, // v5
  { name: 'reserved_208',       offsetBytes: 0x208, sizeBytes: 152, kind: 'mbz' },
  { name: 'signature_r',        offsetBytes: 0x2a0, sizeBytes: 72,  kind: 'bytes' }, // LE72
  { name: 'signature_s',        offsetBytes: 0x2e8, sizeBytes: 72,  kind: 'bytes' }, // LE72
  { name: 'reserved_330',       offsetBytes: 0x330, sizeBytes: 368, kind: 'mbz' },
] as const);

export const REPORT_BYTES = ATTESTATION_REPORT.sizeBytes;
/** The signature covers bytes [0x000, SIGNED_BYTES). */
export const SIGNED_BYTES = fieldOf(ATTESTATION_REPORT, 'signature_r').offsetBytes;
export const SIGNATURE_OFFSET = SIGNED_BYTES;
export const SIGNATURE_BYTES = 0x200;
assert(SIGNED_BYTES === 0x2a0);
assert(SIGNED_BYTES + SIGNATURE_BYTES === REPORT_BYTES);

/** Report versions this model reads and writes (spec snp.md a.10: 4 was never observed). */
export const REPORT_VERSIONS = [2, 3, 5] as const;
export type ReportVersion = (typeof REPORT_VERSIONS)[number];

/** Fields that are reserved (must be zero) below a given report version. */
export const REPORT_FIELD_SINCE: Readonly<Record<string, ReportVersion>> = {
  cpuid_fam_id: 3, cpuid_mod_id: 3, cpuid_step: 3, launch_mit_vector: 5, current_mit_vector: 5,
};

export type AttestationReportFields = Decoded<typeof ATTESTATION_REPORT.fields>;

/** A decoded report. `reserved` holds non-zero reserved ranges kept by a non-strict decode. */
export type AttestationReport = AttestationReportFields & {
  reserved?: Readonly<Record<string, Uint8Array>>;
};

export function isReportVersion(version: number): version is ReportVersion {
  return (REPORT_VERSIONS as readonly number[]).includes(version);
}

/**
 * Bytes → report. Rejects a bad length (SNP_BAD_LENGTH) and an unknown VERSION
 * (SNP_UNKNOWN_VERSION). With `strict` (the default) any non-zero reserved byte, including
 * fields not yet defined in this VERSION, is SNP_MBZ_NONZERO; otherwise such bytes are kept in
 * `reserved` so that encoding gives back the exact input.
 */
export function decodeAttestationReport(bytes: Uint8Array,
  options: DecodeOptions = {}): AttestationReport {
  const { value, reserved } = decodeLayout(ATTESTATION_REPORT, bytes, options);
  if (!isReportVersion(value.version)) {
    throw new SimError('SNP_UNKNOWN_VERSION',
      { structure: 'ATTESTATION_REPORT', version: value.version },
      `ATTESTATION_REPORT: unknown VERSION ${value.version} ` +
      `(known: ${REPORT_VERSIONS.join(', ')})`);
  }
  const strict = options.strict ?? true;
  const kept: Record<string, Uint8Array> = { ...reserved };
  for (const [name, since] of Object.entries(REPORT_FIELD_SINCE)) {
    if (value.version >= since) continue;
    const field = fieldOf(ATTESTATION_REPORT, name);
    const raw = bytes.subarray(field.offsetBytes, field.offsetBytes + field.sizeBytes);
    if (raw.every((b) => b === 0)) continue;
    if (strict) {
      throw new SimError('SNP_MBZ_NONZERO',
        {
          structure: 'ATTESTATION_REPORT', field: name,
          offset: `0x${field.offsetBytes.toString(16)}`, version: value.version,
        },
        `ATTESTATION_REPORT: ${name} at 0x${field.offsetBytes.toString(16)} ` +
        `is reserved in VERSION ${value.version} but not zero`);
    }
  }
  const report: AttestationReport = value;
  if (Object.keys(kept).length > 0) report.reserved = kept;
  return report;
}

/** Report → bytes; the exact inverse of decodeAttestationReport. */
export function encodeAttestationReport(report: AttestationReport): Uint8Array {
  assert(isReportVersion(report.version), 'encode: unknown report version');
  const bytes = encodeLayout(ATTESTATION_REPORT, report, report.reserved ?? {});
  assert(bytes.length === REPORT_BYTES);
  return bytes;
}

/** The bytes the signature covers: [0x000, 0x2A0). */
export function signedSpan(reportBytes: Uint8Array): Uint8Array {
  assert(reportBytes.length === REPORT_BYTES, 'signedSpan: report must be 0x4A0 bytes');
  return reportBytes.subarray(0, SIGNED_BYTES);
}

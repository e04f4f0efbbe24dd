/**
 * Models: AMD-SP firmware SNP_LAUNCH_UPDATE measurement: the PAGE_INFO structure and the launch
 * digest step LD' = SHA-384(PAGE_INFO) (SEV-SNP Firmware ABI spec 56860, "PAGE_INFO structure";
 * AMD Genoa firmware source sev_mcmd.h / snp_mcmd_launch_update).
 * Real counterpart: the firmware hashing each 4 KiB chunk of a LAUNCH_UPDATE into GCTX.LD (and
 * GCTX.IMD for IMI pages). Differs: pages are handed over as bytes, not read from encrypted RAM.
 * Invariants: PAGE_INFO is 0x70 bytes with LENGTH = 0x70; one PAGE_INFO per 4 KiB chunk (a 2 MiB
 * page is 512 chunks, GPA += 0x1000); CONTENTS = SHA-384(page) for NORMAL, SHA-384(page with
 * GUEST_TSC_SCALE/OFFSET zeroed) for VMSA, 48 zero bytes for ZERO/UNMEASURED/SECRETS/CPUID.
 */
import { hash } from 'node:crypto';
import { assert } from '../../../sim/kernel/assert.js';
import { defineLayout, fieldOf } from '../../../sim/kernel/layout.js';

/** PAGE_TYPE values of SNP_LAUNCH_UPDATE (0 is reserved). */
export const PAGE_TYPE = Object.freeze({
  NORMAL: 1, VMSA: 2, ZERO: 3, UNMEASURED: 4, SECRETS: 5, CPUID: 6,
} as const);
export type PageTypeName = keyof typeof PAGE_TYPE;
export type PageType = (typeof PAGE_TYPE)[PageTypeName];

export function isPageType(value: number): value is PageType {
  return Number.isInteger(value) && value >= PAGE_TYPE.NORMAL && value <= PAGE_TYPE.CPUID;
}

export function pageTypeName(pageType: PageType): PageTypeName {
  const name = (Object.keys(PAGE_TYPE) as PageTypeName[])
    .find((key) => PAGE_TYPE[key] === pageType);
  assert(name !== undefined, `pageTypeName: ${pageType}`);
  return name;
}

/**
 * Byte order of 0x64..0x67 follows AMD's firmware source (reserved, VMPL1, VMPL2, VMPL3), as
 * spec/snp.md c.2 asks. sev-snp-measure and virtee/sev serialise (VMPL3, VMPL2, VMPL1, 0) instead:
 * the two orders differ only when VMPL permissions are non-zero, which QEMU/KVM never uses, so
 * every sev-snp-measure vector agrees with both. IGVM/SVSM flows with VMPL permissions follow the
 * firmware.
 */
export const PAGE_INFO = defineLayout({ name: 'PAGE_INFO', sizeBytes: 0x70 }, [
  { name: 'digest_cur',   offsetBytes: 0x00, sizeBytes: 48, kind: 'bytes' },
  { name: 'contents',     offsetBytes: 0x30, sizeBytes: 48, kind: 'bytes' },
  { name: 'length',       offsetBytes: 0x60, sizeBytes: 2,  kind: 'u16le' },
  { name: 'page_type',    offsetBytes: 0x62, sizeBytes: 1,  kind: 'u8' },
  { name: 'imi_page',     offsetBytes: 0x63, sizeBytes: 1,  kind: 'u8' },   // bit 0; bits 7:1 zero
  { name: 'reserved_64',  offsetBytes: 0x64, sizeBytes: 1,  kind: 'mbz' },
  { name: 'vmpl1_perms',  offsetBytes: 0x65, sizeBytes: 1,  kind: 'u8' },
  { name: 'vmpl2_perms',  offsetBytes: 0x66, sizeBytes: 1,  kind: 'u8' },
  { name: 'vmpl3_perms',  offsetBytes: 0x67, sizeBytes: 1,  kind: 'u8' },
  { name: 'gpa',          offsetBytes: 0x68, sizeBytes: 8,  kind: 'u64le' },
] as const);

export const PAGE_BYTES = 0x1000;
export const LARGE_PAGE_BYTES = 0x20_0000;
export const LAUNCH_DIGEST_BYTES = 48;

/**
 * The VMSA fields the firmware treats as zero when it measures a VMSA page (AMD APM vol. 2,
 * table B-4 "VMSA layout"; Linux arch/x86/include/asm/svm.h sev_es_save_area: tsc_scale 0x2F0,
 * tsc_offset 0x2F8). They matter only with SecureTSC. The hypervisor's VMSA table re-checks them.
 */
export const VMSA_MEASUREMENT_ZEROED = Object.freeze([
  Object.freeze({ name: 'guest_tsc_scale', offsetBytes: 0x2f0, sizeBytes: 8 }),
  Object.freeze({ name: 'guest_tsc_offset', offsetBytes: 0x2f8, sizeBytes: 8 }),
]);

const AT = Object.freeze({
  digest_cur: fieldOf(PAGE_INFO, 'digest_cur').offsetBytes,
  contents: fieldOf(PAGE_INFO, 'contents').offsetBytes,
  length: fieldOf(PAGE_INFO, 'length').offsetBytes,
  page_type: fieldOf(PAGE_INFO, 'page_type').offsetBytes,
  imi_page: fieldOf(PAGE_INFO, 'imi_page').offsetBytes,
  vmpl1_perms: fieldOf(PAGE_INFO, 'vmpl1_perms').offsetBytes,
  vmpl2_perms: fieldOf(PAGE_INFO, 'vmpl2_perms').offsetBytes,
  vmpl3_perms: fieldOf(PAGE_INFO, 'vmpl3_perms').offsetBytes,
  gpa: fieldOf(PAGE_INFO, 'gpa').offsetBytes,
});
assert(AT.contents - AT.digest_cur === LAUNCH_DIGEST_BYTES, 'PAGE_INFO: digest_cur is one LD');
assert(PAGE_INFO.sizeBytes === 0x70, 'PAGE_INFO: LENGTH is 0x70');

/** VMPL1..3 permission bytes of a LAUNCH_UPDATE (bits 15:8, 23:16, 31:24 of the command word). */
export type VmplPerms = Readonly<{ vmpl1_perms: number; vmpl2_perms: number; vmpl3_perms: number }>;
export const NO_VMPL_PERMS: VmplPerms = Object.freeze({
  vmpl1_perms: 0, vmpl2_perms: 0, vmpl3_perms: 0,
});

/**
 * One measured range of guest memory, as the hypervisor hands it to LAUNCH_UPDATE. `contents` holds
 * the plaintext for NORMAL and VMSA pages and must be absent for the other types.
 */
export type MeasuredRange = Readonly<{
  page_type: PageType;
  /** Page-aligned guest physical address of the first chunk. */
  gpa: number;
  lengthBytes: number;
  contents?: Uint8Array;
  vmpl_perms?: VmplPerms;
  imi_page?: boolean;
}>;

const ZERO_CONTENTS = new Uint8Array(LAUNCH_DIGEST_BYTES);

function sha384(bytes: Uint8Array): Uint8Array {
  return hash('sha384', bytes, 'buffer');
}

/** SHA-384 of a VMSA page with the TSC fields treated as zero (copies only when they are set). */
function vmsaContentsDigest(page: Uint8Array): Uint8Array {
  let measured = page;
  for (const field of VMSA_MEASUREMENT_ZEROED) {
    const at = field.offsetBytes;
    if (page.subarray(at, at + field.sizeBytes).some((byte) => byte !== 0)) {
      if (measured === page) measured = page.slice();
      measured.fill(0, at, at + field.sizeBytes);
    }
  }
  assert(measured.length === PAGE_BYTES);
  return sha384(measured);
}

/** Checks our own caller's range (hostile ranges are refused earlier, by the launch context). */
function assertRange(range: MeasuredRange): void {
  assert(range.gpa % PAGE_BYTES === 0, 'MeasuredRange: gpa not page aligned');
  assert(range.lengthBytes % PAGE_BYTES === 0 && range.lengthBytes > 0, 'MeasuredRange: length');
  assert(Number.isSafeInteger(range.gpa + range.lengthBytes), 'MeasuredRange: gpa overflow');
  const hasContents = range.page_type === PAGE_TYPE.NORMAL || range.page_type === PAGE_TYPE.VMSA;
  if (hasContents) assert(range.contents?.length === range.lengthBytes, 'MeasuredRange: contents');
  if (!hasContents) assert(range.contents === undefined, 'MeasuredRange: unexpected contents');
}

/**
 * Extends a launch digest over every 4 KiB chunk of `range` and returns the new digest (the input
 * is not modified). The launch context calls it a second time with GCTX.IMD for IMI pages.
 */
export function extendLaunchDigest(ld: Uint8Array, range: MeasuredRange): Uint8Array {
  assert(ld.length === LAUNCH_DIGEST_BYTES, 'extendLaunchDigest: LD is 48 bytes');
  assertRange(range);
  const perms = range.vmpl_perms ?? NO_VMPL_PERMS;
  const info = new Uint8Array(PAGE_INFO.sizeBytes);
  const view = new DataView(info.buffer);
  view.setUint16(AT.length, PAGE_INFO.sizeBytes, true);
  info[AT.page_type] = range.page_type;
  info[AT.imi_page] = range.imi_page === true ? 1 : 0;
  info[AT.vmpl1_perms] = perms.vmpl1_perms;
  info[AT.vmpl2_perms] = perms.vmpl2_perms;
  info[AT.vmpl3_perms] = perms.vmpl3_perms;
  info.set(ld, AT.digest_cur);
  const chunks = range.lengthBytes / PAGE_BYTES;
  for (let i = 0; i < chunks; i++) {
    const gpa = range.gpa + i * PAGE_BYTES;
    view.setUint32(AT.gpa, gpa % 0x1_0000_0000, true);
    view.setUint32(AT.gpa + 4, Math.floor(gpa / 0x1_0000_0000), true);
    const page = range.contents?.subarray(i * PAGE_BYTES, (i + 1) * PAGE_BYTES);
    const contents = page === undefined ? ZERO_CONTENTS
      : range.page_type === PAGE_TYPE.VMSA ? vmsaContentsDigest(page) : sha384(page);
    info.set(contents, AT.contents);
    info.set(sha384(info), AT.digest_cur);
  }
  const next = info.slice(AT.digest_cur, AT.digest_cur + LAUNCH_DIGEST_BYTES);
  assert(next.length === LAUNCH_DIGEST_BYTES);
  return next;
}

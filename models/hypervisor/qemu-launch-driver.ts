/**
 * Models: the VMM side of an SEV / SEV-ES / SEV-SNP launch of QEMU + OVMF with measured direct
 * kernel boot, i.e. what sev-snp-measure reproduces (spec/snp.md d.1-d.3): the order and kind of
 * SNP_LAUNCH_UPDATE calls (OVMF image, metadata sections, kernel hashes page, one VMSA per vCPU),
 * and the SHA-256 launch digests of SEV-ES and SEV.
 * Real counterpart: QEMU target/i386/sev.c with KVM, and the EC2 / GCE VMMs' equivalents.
 * Differs: memory is not modelled (pages are bytes); the plan is data that either a plain fold
 * (`measureLaunch`, the fast path) or the firmware launch context (`launch-vm.ts`) consumes, and
 * both go through the same PAGE_INFO code. Errors that sev-snp-measure reports carry its wording.
 * Invariants: the OVMF image ends at 4 GiB (an SVSM image ends below OVMF and its variable store);
 * updates follow metadata order (EC2 defers CPUID pages); BSP is vCPU 0, the others are APs.
 */
import { createHash } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import {
  LAUNCH_DIGEST_BYTES, PAGE_BYTES, PAGE_TYPE, extendLaunchDigest, type MeasuredRange,
} from '../snp/launch/page-info.js';
import {
  FOUR_GIB, OVMF_TABLE_GUID, badOvmf, parseOvmfFooterTable, tableU32, type OvmfFooterTable,
} from './ovmf-footer-table.js';
import { SEV_SECTION_TYPE, parseSevMetadata, type SevMetadataSection } from './sev-metadata.js';
import { encodeSevHashTable, sevHashTablePage, type SevHashes } from './sev-hashes-table.js';
import { BSP_RESET_EIP, resetVmsa, svsmVmsa } from './vmsa.js';
import { VMM_QUIRKS, type VmmType } from './vmm-types.js';

/** KVM's INITIAL_VMSA_GPA: the GPA the RMP records for every VMSA page (spec/snp.md c.2). */
export const VMSA_GPA = 0xfffffffff000;

/** A firmware image as the VMM maps it. */
export type FirmwareImage = Readonly<{
  bytes: Uint8Array;
  gpa: number;
  table: OvmfFooterTable;
  metadata: readonly SevMetadataSection[];
}>;

/** Parses an OVMF (or SVSM) image mapped so that it ends at `endGpa` (default 4 GiB). */
export function loadFirmwareImage(bytes: Uint8Array, endGpa: number = FOUR_GIB): FirmwareImage {
  const table = parseOvmfFooterTable(bytes);
  const metadata = parseSevMetadata(bytes, table);
  const gpa = endGpa - bytes.length;
  if (gpa < 0) {
    throw badOvmf('firmware image does not fit below its end address', { sizeBytes: bytes.length });
  }
  assert(gpa + bytes.length === endGpa);
  return Object.freeze({ bytes, gpa, table, metadata: Object.freeze(metadata) });
}

function requiredU32(image: FirmwareImage, guid: string, message: string): number {
  const value = tableU32(image.table, guid);
  if (value === undefined) throw badOvmf(message);
  return value;
}

export function sevEsResetEip(image: FirmwareImage): number {
  return requiredU32(image, OVMF_TABLE_GUID.sev_es_reset_block,
    "Can't find SEV_ES_RESET_BLOCK_GUID entry in OVMF table");
}

export function sevHashesTableGpa(image: FirmwareImage): number {
  return requiredU32(image, OVMF_TABLE_GUID.sev_hash_table_rv,
    "Can't find SEV_HASH_TABLE_RV_GUID entry in OVMF table");
}

/** QEMU refuses -kernel with SEV/SEV-ES unless OVMF has a non-zero hashes-table GPA. */
export function supportsSevHashesTable(image: FirmwareImage): boolean {
  const gpa = tableU32(image.table, OVMF_TABLE_GUID.sev_hash_table_rv);
  return gpa !== undefined && gpa !== 0;
}

function badLaunchInput(message: string, detail: Readonly<Record<string, unknown>> = {}): SimError {
  return new SimError('HV_BAD_LAUNCH_INPUT', { reason: message, ...detail }, message);
}

function requirePageMultiple(image: FirmwareImage, what: string): void {
  if (image.bytes.length === 0 || image.bytes.length % PAGE_BYTES !== 0) {
    throw badOvmf(
      `${what} image size ${image.bytes.length} is not a positive multiple of 4096 bytes`);
  }
}

/**
 * A launch as data: an optional precomputed LD to start from, then LAUNCH_UPDATE ranges in
 * order.
 */
export type LaunchPlan = Readonly<{
  seedLd?: Uint8Array; updates: readonly MeasuredRange[]; vmsas: readonly Uint8Array[];
}>;

export type SnpPlanInput = Readonly<{
  ovmf: FirmwareImage;
  /**
   * A precomputed OVMF launch digest (sev-snp-measure --snp-ovmf-hash): replaces the OVMF
   * pages.
   */
  ovmfHash?: Uint8Array;
  /** Present when -kernel is used (kernel hashes page measured as NORMAL). */
  hashes?: SevHashes;
  vcpus: number;
  vcpuSig: number;
  guestFeatures: bigint;
  vmmType: VmmType;
}>;

const MAX_VCPUS = 4096;

function metadataUpdates(metadata: readonly SevMetadataSection[], vmmType: VmmType,
  kernelHashesPage: (section: SevMetadataSection) => MeasuredRange): MeasuredRange[] {
  const quirks = VMM_QUIRKS[vmmType];
  const out: MeasuredRange[] = [];
  const pages = (page_type: MeasuredRange['page_type'],
    section: SevMetadataSection): MeasuredRange =>
    ({ page_type, gpa: section.gpa, lengthBytes: section.size });
  for (const section of metadata) {
    switch (section.section_type) {
      case SEV_SECTION_TYPE.SNP_SEC_MEM: out.push(pages(quirks.sec_mem_page_type, section)); break;
      case SEV_SECTION_TYPE.SNP_SECRETS:
        out.push({ page_type: PAGE_TYPE.SECRETS, gpa: section.gpa, lengthBytes: PAGE_BYTES });
        break;
      case SEV_SECTION_TYPE.CPUID:
        if (!quirks.cpuid_pages_last) {
          out.push({ page_type: PAGE_TYPE.CPUID, gpa: section.gpa, lengthBytes: PAGE_BYTES });
        }
        break;
      case SEV_SECTION_TYPE.SNP_KERNEL_HASHES: out.push(kernelHashesPage(section)); break;
      case SEV_SECTION_TYPE.SVSM_CAA: out.push(pages(PAGE_TYPE.ZERO, section)); break;
      default:
        throw badOvmf('unknown OVMF metadata section type',
          { section_type: section.section_type });
    }
  }
  if (quirks.cpuid_pages_last) {
    for (const section of metadata) {
      if (section.section_type === SEV_SECTION_TYPE.CPUID) {
        out.push({ page_type: PAGE_TYPE.CPUID, gpa: section.gpa, lengthBytes: PAGE_BYTES });
      }
    }
  }
  for (const update of out) {
    if (update.gpa % PAGE_BYTES !== 0 || update.lengthBytes % PAGE_BYTES !== 0) {
      throw badOvmf('SEV metadata section is not page aligned',
        { gpa: update.gpa, size: update.lengthBytes });
    }
  }
  return out.filter((update) => update.lengthBytes > 0);
}

function checkVcpus(vcpus: number): void {
  if (!Number.isSafeInteger(vcpus) || vcpus < 0 || vcpus > MAX_VCPUS) {
    throw badLaunchInput(`vCPU count must be between 0 and ${MAX_VCPUS}`, { vcpus });
  }
}

/** The SNP launch of QEMU (or EC2/GCE) + OVMF, as LAUNCH_UPDATE ranges. */
export function planSnpLaunch(input: SnpPlanInput): LaunchPlan {
  checkVcpus(input.vcpus);
  const { ovmf } = input;
  if (input.ovmfHash === undefined) requirePageMultiple(ovmf, 'OVMF');
  const updates: MeasuredRange[] = input.ovmfHash === undefined
    ? [{
      page_type: PAGE_TYPE.NORMAL, gpa: ovmf.gpa, lengthBytes: ovmf.bytes.length,
      contents: ovmf.bytes,
    }]
    : [];
  const hashes = input.hashes;
  updates.push(...metadataUpdates(ovmf.metadata, input.vmmType, (section) => {
    if (hashes === undefined) {
      return { page_type: PAGE_TYPE.ZERO, gpa: section.gpa, lengthBytes: section.size };
    }
    const page = sevHashTablePage(hashes, sevHashesTableGpa(ovmf) & 0xfff);
    if (section.size !== page.length) {
      throw badOvmf('SNP_KERNEL_HASHES section is not one page', { size: section.size });
    }
    return {
      page_type: PAGE_TYPE.NORMAL, gpa: section.gpa, lengthBytes: PAGE_BYTES, contents: page,
    };
  }));
  if (hashes !== undefined &&
    !ovmf.metadata.some((s) => s.section_type === SEV_SECTION_TYPE.SNP_KERNEL_HASHES)) {
    throw badLaunchInput(
      "Kernel specified but OVMF metadata doesn't include SNP_KERNEL_HASHES section");
  }
  const vmsas = resetVmsas(sevEsResetEip(ovmf), input);
  for (const vmsa of vmsas) {
    updates.push({
      page_type: PAGE_TYPE.VMSA, gpa: VMSA_GPA, lengthBytes: PAGE_BYTES, contents: vmsa,
    });
  }
  if (input.ovmfHash !== undefined && input.ovmfHash.length !== LAUNCH_DIGEST_BYTES) {
    throw badLaunchInput('precomputed OVMF hash must be 48 bytes',
      { bytes: input.ovmfHash.length });
  }
  return Object.freeze({
    ...(input.ovmfHash !== undefined ? { seedLd: input.ovmfHash } : {}), updates, vmsas,
  });
}

/** One VMSA per vCPU: vCPU 0 starts at the reset vector, the APs at the SEV-ES reset block EIP. */
function resetVmsas(apEip: number,
  input: Readonly<{ vcpus: number; vcpuSig: number; guestFeatures: bigint; vmmType: VmmType }>,
): Uint8Array[] {
  if (input.vcpus === 0) return [];
  const common = {
    sev_features: input.guestFeatures, vcpuSig: input.vcpuSig, quirks: VMM_QUIRKS[input.vmmType],
  };
  const bsp = resetVmsa({ ...common, eip: BSP_RESET_EIP, isBsp: true });
  // An OVMF without an AP reset EIP (0) starts APs like the BSP.
  const ap = apEip === 0 ? bsp : resetVmsa({ ...common, eip: apEip, isBsp: false });
  const out = Array.from({ length: input.vcpus }, (_, i) => (i === 0 ? bsp : ap));
  assert(out.length === input.vcpus);
  return out;
}

export type SvsmPlanInput = Readonly<{
  ovmf: Uint8Array; svsm: Uint8Array; varsSizeBytes: number; vcpus: number; vcpuSig: number;
}>;

/**
 * Coconut-SVSM under QEMU: OVMF, then the SVSM image below OVMF and its vars, then SVSM
 * metadata.
 */
export function planSvsmLaunch(input: SvsmPlanInput): LaunchPlan {
  checkVcpus(input.vcpus);
  const ovmf = loadFirmwareImage(input.ovmf);
  if (!Number.isSafeInteger(input.varsSizeBytes) || input.varsSizeBytes < 0 ||
    input.varsSizeBytes > ovmf.gpa) {
    throw badLaunchInput('OVMF variable store size out of range',
      { varsSizeBytes: input.varsSizeBytes });
  }
  const svsm = loadFirmwareImage(input.svsm, ovmf.gpa - input.varsSizeBytes);
  const entry = requiredU32(svsm, OVMF_TABLE_GUID.svsm_info,
    "Can't find SVSM_INFO_GUID entry in SVSM table");
  requirePageMultiple(ovmf, 'OVMF');
  requirePageMultiple(svsm, 'SVSM');
  const updates: MeasuredRange[] = [
    {
      page_type: PAGE_TYPE.NORMAL, gpa: ovmf.gpa, lengthBytes: ovmf.bytes.length,
      contents: ovmf.bytes,
    },
    {
      page_type: PAGE_TYPE.NORMAL, gpa: svsm.gpa, lengthBytes: svsm.bytes.length,
      contents: svsm.bytes,
    },
    ...metadataUpdates(svsm.metadata, 'QEMU',
      (s) => ({ page_type: PAGE_TYPE.ZERO, gpa: s.gpa, lengthBytes: s.size })),
  ];
  const vmsa = svsmVmsa({ eip: (entry + svsm.gpa) % FOUR_GIB, vcpuSig: input.vcpuSig });
  const vmsas = Array.from({ length: input.vcpus }, () => vmsa);
  for (const page of vmsas) {
    updates.push({
      page_type: PAGE_TYPE.VMSA, gpa: VMSA_GPA, lengthBytes: PAGE_BYTES, contents: page,
    });
  }
  return Object.freeze({ updates, vmsas });
}

/** Folds a plan into its launch digest (the fast path: no state machine). */
export function launchDigestOfPlan(plan: LaunchPlan): Uint8Array {
  let ld = plan.seedLd ?? new Uint8Array(LAUNCH_DIGEST_BYTES);
  assert(ld.length === LAUNCH_DIGEST_BYTES, 'seed LD is 48 bytes');
  for (const update of plan.updates) ld = extendLaunchDigest(ld, update);
  assert(ld.length === LAUNCH_DIGEST_BYTES);
  return ld;
}

/** sev-snp-measure --mode snp:ovmf-hash: the LD after the OVMF pages alone. */
export function snpOvmfHash(ovmf: FirmwareImage): Uint8Array {
  requirePageMultiple(ovmf, 'OVMF');
  return extendLaunchDigest(new Uint8Array(LAUNCH_DIGEST_BYTES),
    {
      page_type: PAGE_TYPE.NORMAL, gpa: ovmf.gpa, lengthBytes: ovmf.bytes.length,
      contents: ovmf.bytes,
    });
}

export type SevEsInput = Readonly<{
  ovmf: FirmwareImage; hashes?: SevHashes; vcpus: number; vcpuSig: number; vmmType: VmmType;
}>;

/** SEV-ES: SHA-256 over the OVMF image, the hashes table (with -kernel) and every VMSA. */
export function sevEsLaunchDigest(
  input: SevEsInput,
): Readonly<{ digest: Uint8Array; vmsas: Uint8Array[] }> {
  checkVcpus(input.vcpus);
  const parts = sevLaunchParts(input.ovmf, input.hashes);
  // SEV-ES guests have no SEV_FEATURES: the VMSA field is zero whatever the user asked for.
  const vmsas = resetVmsas(sevEsResetEip(input.ovmf), { ...input, guestFeatures: 0n });
  const digest = sha256All([...parts, ...vmsas]);
  return { digest, vmsas };
}

/** SEV: SHA-256 over the OVMF image and the hashes table (with -kernel). */
export function sevLaunchDigest(ovmf: FirmwareImage, hashes?: SevHashes): Uint8Array {
  return sha256All(sevLaunchParts(ovmf, hashes));
}

function sevLaunchParts(ovmf: FirmwareImage, hashes: SevHashes | undefined): Uint8Array[] {
  if (hashes === undefined) return [ovmf.bytes];
  if (!supportsSevHashesTable(ovmf)) {
    throw badLaunchInput(
      "Kernel specified but OVMF doesn't support kernel/initrd/cmdline measurement");
  }
  return [ovmf.bytes, encodeSevHashTable(hashes)];
}

function sha256All(parts: readonly Uint8Array[]): Uint8Array {
  assert(parts.length > 0, 'sha256All: something to hash');
  const hasher = createHash('sha256');
  for (const part of parts) hasher.update(part);
  const digest = new Uint8Array(hasher.digest());
  assert(digest.length === 32);
  return digest;
}

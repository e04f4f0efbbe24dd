/**
 * Models: how each VMM flavour sets up a vCPU's reset state and orders SNP launch updates
 * (QEMU/KVM; AWS EC2 (Firecracker-derived); Google GCE), as sev-snp-measure reproduces them
 * (spec/snp.md d.2, d.4). Real counterpart: each VMM's vCPU reset code and its loop over the OVMF
 * SEV metadata. Differs: only the register quirks that reach the measurement are listed.
 * Invariants: one row per VMM; every row names all quirks; values are literal (no defaults).
 */
import { PAGE_TYPE, type PageType } from '../snp/launch/page-info.js';

export const VMM_TYPE_NAMES = ['QEMU', 'ec2', 'gce'] as const;
export type VmmType = (typeof VMM_TYPE_NAMES)[number];

export type VmmQuirks = Readonly<{
  /** CS attributes of the BSP and of the APs. */
  cs_attrib_bsp: number;
  cs_attrib_ap: number;
  ss_attrib: number;
  tr_attrib: number;
  /** RDX at reset: the guest CPU signature, or a fixed value the VMM uses instead. */
  rdx: 'vcpu_sig' | number;
  mxcsr: number;
  x87_fcw: number;
  g_pat: bigint;
  /** How SNP_SEC_MEM sections are measured. */
  sec_mem_page_type: PageType;
  /** EC2 measures the CPUID pages after all other metadata sections. */
  cpuid_pages_last: boolean;
  /** Whether the VMM needs a vCPU signature from the user. */
  needs_vcpu_sig: boolean;
}>;

const STANDARD_PAT = 0x0007040600070406n;

export const VMM_QUIRKS: Readonly<Record<VmmType, VmmQuirks>> = Object.freeze({
  QEMU: Object.freeze({
    cs_attrib_bsp: 0x9b, cs_attrib_ap: 0x9b, ss_attrib: 0x93, tr_attrib: 0x8b, rdx: 'vcpu_sig',
    mxcsr: 0x1f80, x87_fcw: 0x37f, g_pat: STANDARD_PAT, sec_mem_page_type: PAGE_TYPE.ZERO,
    cpuid_pages_last: false, needs_vcpu_sig: true,
  }),
  ec2: Object.freeze({
    cs_attrib_bsp: 0x9a, cs_attrib_ap: 0x9b, ss_attrib: 0x92, tr_attrib: 0x83, rdx: 0x600,
    mxcsr: 0, x87_fcw: 0, g_pat: STANDARD_PAT, sec_mem_page_type: PAGE_TYPE.ZERO,
    cpuid_pages_last: true, needs_vcpu_sig: false,
  }),
  gce: Object.freeze({
    cs_attrib_bsp: 0x9b, cs_attrib_ap: 0x9b, ss_attrib: 0x93, tr_attrib: 0x8b, rdx: 0x600,
    mxcsr: 0, x87_fcw: 0, g_pat: 0x0000000000070106n, sec_mem_page_type: PAGE_TYPE.UNMEASURED,
    cpuid_pages_last: false, needs_vcpu_sig: false,
  }),
});

export function isVmmType(name: string): name is VmmType {
  return (VMM_TYPE_NAMES as readonly string[]).includes(name);
}

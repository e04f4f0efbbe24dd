/**
 * Models: the VMSA page (AMD APM vol. 2, table B-4 "VMSA layout, state save area"; Linux
 * arch/x86/include/asm/svm.h `sev_es_save_area`) holding a vCPU's initial state, as QEMU/KVM,
 * EC2, GCE and the Coconut-SVSM QEMU fork set it up at reset (spec/snp.md d.4).
 * Real counterpart: the encrypted VMSA page the VMM hands to SNP_LAUNCH_UPDATE (type VMSA).
 * Differs: only the registers a VMM sets at reset are named; every other byte is zero, as at reset.
 * Invariants: 4096 bytes; BSP and AP pages differ only in CS.base, RIP (and EC2's CS attributes);
 * the TSC fields sit where the firmware expects them (checked against page-info at load).
 */
import { assert } from '../../sim/kernel/assert.js';
import {
  defineLayout, encodeLayout, fieldOf, type Decoded, type FieldSpec,
} from '../../sim/kernel/layout.js';
import { VMSA_MEASUREMENT_ZEROED } from '../snp/launch/page-info.js';
import type { VmmQuirks } from './vmm-types.js';

/**
 * Segment registers, 16 bytes each from offset 0:
 * {u16 selector, u16 attrib, u32 limit, u64 base}.

 */
const SEGMENTS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'gdtr', 'ldtr', 'idtr', 'tr'] as const;
type SegmentName = (typeof SEGMENTS)[number];

function segmentFields(name: SegmentName, index: number): FieldSpec[] {
  const at = index * 16;
  return [
    { name: `${name}_selector`, offsetBytes: at, sizeBytes: 2, kind: 'u16le' },
    { name: `${name}_attrib`, offsetBytes: at + 2, sizeBytes: 2, kind: 'u16le' },
    { name: `${name}_limit`, offsetBytes: at + 4, sizeBytes: 4, kind: 'u32le' },
    { name: `${name}_base`, offsetBytes: at + 8, sizeBytes: 8, kind: 'u64le' },
  ];
}

export const VMSA = defineLayout({ name: 'VMSA', sizeBytes: 0x1000 }, [
  ...SEGMENTS.flatMap(segmentFields),
  { name: 'other_0a0',        offsetBytes: 0x0a0, sizeBytes: 0x30,  kind: 'mbz' },
  { name: 'efer',             offsetBytes: 0x0d0, sizeBytes: 8,     kind: 'u64le' },
  { name: 'other_0d8',        offsetBytes: 0x0d8, sizeBytes: 0x70,  kind: 'mbz' },
  { name: 'cr4',              offsetBytes: 0x148, sizeBytes: 8,     kind: 'u64le' },
  { name: 'cr3',              offsetBytes: 0x150, sizeBytes: 8,     kind: 'u64le' },
  { name: 'cr0',              offsetBytes: 0x158, sizeBytes: 8,     kind: 'u64le' },
  { name: 'dr7',              offsetBytes: 0x160, sizeBytes: 8,     kind: 'u64le' },
  { name: 'dr6',              offsetBytes: 0x168, sizeBytes: 8,     kind: 'u64le' },
  { name: 'rflags',           offsetBytes: 0x170, sizeBytes: 8,     kind: 'u64le' },
  { name: 'rip',              offsetBytes: 0x178, sizeBytes: 8,     kind: 'u64le' },
  { name: 'other_180',        offsetBytes: 0x180, sizeBytes: 0x58,  kind: 'mbz' },
  { name: 'rsp',              offsetBytes: 0x1d8, sizeBytes: 8,     kind: 'u64le' },
  { name: 'other_1e0',        offsetBytes: 0x1e0, sizeBytes: 0x18,  kind: 'mbz' },
  { name: 'rax',              offsetBytes: 0x1f8, sizeBytes: 8,     kind: 'u64le' },
  { name: 'other_200',        offsetBytes: 0x200, sizeBytes: 0x68,  kind: 'mbz' },
  { name: 'g_pat',            offsetBytes: 0x268, sizeBytes: 8,     kind: 'u64le' },
  { name: 'other_270',        offsetBytes: 0x270, sizeBytes: 0x80,  kind: 'mbz' },
  { name: 'guest_tsc_scale',  offsetBytes: 0x2f0, sizeBytes: 8,     kind: 'u64le' },
  { name: 'guest_tsc_offset', offsetBytes: 0x2f8, sizeBytes: 8,     kind: 'u64le' },
  { name: 'other_300',        offsetBytes: 0x300, sizeBytes: 8,     kind: 'mbz' },
  { name: 'rcx',              offsetBytes: 0x308, sizeBytes: 8,     kind: 'u64le' },
  { name: 'rdx',              offsetBytes: 0x310, sizeBytes: 8,     kind: 'u64le' },
  { name: 'rbx',              offsetBytes: 0x318, sizeBytes: 8,     kind: 'u64le' },
  { name: 'other_320',        offsetBytes: 0x320, sizeBytes: 0x90,  kind: 'mbz' },
  { name: 'sev_features',     offsetBytes: 0x3b0, sizeBytes: 8,     kind: 'u64le' },
  { name: 'other_3b8',        offsetBytes: 0x3b8, sizeBytes: 0x30,  kind: 'mbz' },
  { name: 'xcr0',             offsetBytes: 0x3e8, sizeBytes: 8,     kind: 'u64le' },
  { name: 'other_3f0',        offsetBytes: 0x3f0, sizeBytes: 0x18,  kind: 'mbz' },
  { name: 'mxcsr',            offsetBytes: 0x408, sizeBytes: 4,     kind: 'u32le' },
  { name: 'other_40c',        offsetBytes: 0x40c, sizeBytes: 4,     kind: 'mbz' },
  { name: 'x87_fcw',          offsetBytes: 0x410, sizeBytes: 2,     kind: 'u16le' },
  { name: 'other_412',        offsetBytes: 0x412, sizeBytes: 0xbee, kind: 'mbz' },
]);

for (const zeroed of VMSA_MEASUREMENT_ZEROED) {
  const field = fieldOf(VMSA, zeroed.name);
  assert(field.offsetBytes === zeroed.offsetBytes && field.sizeBytes === zeroed.sizeBytes,
    `VMSA.${zeroed.name} disagrees with the firmware's measurement table`);
}

/** Register values by VMSA field name (all named fields must be present). */
export type VmsaRegisters = Record<string, number | bigint>;

type Segment = Readonly<{ selector: number; attrib: number; limit: number; base: bigint }>;

function segments(values: Readonly<Record<SegmentName, Segment>>): VmsaRegisters {
  const out: VmsaRegisters = {};
  for (const name of SEGMENTS) {
    const seg = values[name];
    out[`${name}_selector`] = seg.selector;
    out[`${name}_attrib`] = seg.attrib;
    out[`${name}_limit`] = seg.limit;
    out[`${name}_base`] = seg.base;
  }
  return out;
}

function encodeVmsa(registers: VmsaRegisters): Uint8Array {
  const named = VMSA.fields.filter((f) => f.kind !== 'mbz');
  for (const field of named) assert(field.name in registers, `VMSA: ${field.name} not set`);
  assert(Object.keys(registers).length === named.length, 'VMSA: unknown register');
  const page = encodeLayout(VMSA, registers as unknown as Decoded<typeof VMSA.fields>);
  assert(page.length === 0x1000);
  return page;
}

const ZERO_REGISTERS = Object.freeze({
  cr3: 0n, rsp: 0n, rax: 0n, rcx: 0n, rbx: 0n, guest_tsc_scale: 0n, guest_tsc_offset: 0n,
});

export const BSP_RESET_EIP = 0xfffffff0;

export type ResetVmsaOptions = Readonly<{
  /** 0xFFFFFFF0 for the BSP; the SEV-ES reset-block EIP for APs. */
  eip: number;
  isBsp: boolean;
  sev_features: bigint;
  vcpuSig: number;
  quirks: VmmQuirks;
}>;

/** The VMSA of a vCPU at reset (real mode, CS:IP from the reset EIP), per VMM flavour. */
export function resetVmsa(options: ResetVmsaOptions): Uint8Array {
  const { quirks, eip } = options;
  assert(Number.isInteger(eip) && eip >= 0 && eip <= 0xffffffff, 'resetVmsa: eip is a u32');
  const data = (attrib: number): Segment => ({ selector: 0, attrib, limit: 0xffff, base: 0n });
  const cs = { selector: 0xf000, attrib: options.isBsp ? quirks.cs_attrib_bsp : quirks.cs_attrib_ap,
    limit: 0xffff, base: BigInt((eip & 0xffff0000) >>> 0) };
  return encodeVmsa({
    ...segments({
      es: data(0x93), cs, ss: data(quirks.ss_attrib), ds: data(0x93), fs: data(0x93),
      gs: data(0x93), gdtr: data(0), ldtr: data(0x82), idtr: data(0), tr: data(quirks.tr_attrib),
    }),
    ...ZERO_REGISTERS,
    efer: 0x1000n,           // EFER.SVME, set by KVM
    cr4: 0x40n,              // CR4.MCE, set by KVM
    cr0: 0x10n, dr7: 0x400n, dr6: 0xffff0ff0n, rflags: 0x2n,
    rip: BigInt(eip & 0xffff),
    g_pat: quirks.g_pat,
    rdx: BigInt(quirks.rdx === 'vcpu_sig' ? options.vcpuSig : quirks.rdx),
    sev_features: options.sev_features, xcr0: 0x1n, mxcsr: quirks.mxcsr, x87_fcw: quirks.x87_fcw,
  });
}

/**
 * The VMSA the Coconut-SVSM QEMU fork gives every vCPU: 32-bit protected mode at the SVSM entry
 * point (flat code/data segments, CR0.PE), SEV_FEATURES = SNPActive.
 */
export function svsmVmsa(options: Readonly<{ eip: number; vcpuSig: number }>): Uint8Array {
  assert(Number.isInteger(options.eip) && options.eip >= 0 && options.eip <= 0xffffffff,
    'svsmVmsa: eip');
  const flat = (selector: number, attrib: number): Segment =>
    ({ selector, attrib, limit: 0xffffffff, base: 0n });
  const real = (attrib: number): Segment => ({ selector: 0, attrib, limit: 0xffff, base: 0n });
  const page = encodeVmsa({
    ...segments({
      es: flat(16, 0xc93), cs: flat(8, 0xc9b), ss: flat(16, 0xc93), ds: flat(16, 0xc93),
      fs: flat(16, 0xc93), gs: real(0x93), gdtr: real(0), ldtr: real(0x82), idtr: real(0),
      tr: real(0x8b),
    }),
    ...ZERO_REGISTERS,
    efer: 0x1000n, cr4: 0x40n, cr0: 0x11n, dr7: 0x400n, dr6: 0xffff0ff0n, rflags: 0x2n,
    rip: BigInt(options.eip), g_pat: 0x0007040600070406n, rdx: BigInt(options.vcpuSig),
    sev_features: 0x1n, xcr0: 0x1n, mxcsr: 0x1f80, x87_fcw: 0,
  });
  assert(page[fieldOf(VMSA, 'sev_features').offsetBytes] === 1);
  return page;
}

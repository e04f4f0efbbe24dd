/**
 * Models: guest vCPU models and their CPUID(1).EAX signatures (AMD CPUID spec 25481, "CPUID
 * Fn0000_0001_EAX Family, Model, Stepping Identifiers"; QEMU target/i386/cpu.c builtin_x86_defs).
 * Real counterpart: the value QEMU/KVM put in RDX of every vCPU's reset state, which is measured
 * inside the VMSA. Differs: only the EPYC models sev-snp-measure knows.
 * Invariants: family > 0xF is split into base 0xF + extended (family - 0xF); signatures fit 28
 * bits.
 */
import { assert } from '../../sim/kernel/assert.js';

export type CpuFms = Readonly<{ family: number; model: number; stepping: number }>;

/** CPUID(1).EAX from family/model/stepping (reserved bits and the processor type are zero). */
export function cpuSignature(fms: CpuFms): number {
  assert(Number.isInteger(fms.family) && fms.family >= 0, 'cpuSignature: family');
  assert(Number.isInteger(fms.model) && Number.isInteger(fms.stepping),
    'cpuSignature: model/stepping');
  const familyLow = fms.family > 0xf ? 0xf : fms.family;
  const familyHigh = fms.family > 0xf ? (fms.family - 0xf) & 0xff : 0;
  const sig = ((familyHigh << 20) | (((fms.model >> 4) & 0xf) << 16) | (familyLow << 8)
    | ((fms.model & 0xf) << 4) | (fms.stepping & 0xf)) >>> 0;
  assert(sig < 2 ** 28);
  return sig;
}

/** The QEMU CPU model names (EPYC family) and their family/model/stepping. */
export const VCPU_TYPES: Readonly<Record<string, CpuFms>> = Object.freeze({
  'EPYC': { family: 23, model: 1, stepping: 2 },
  'EPYC-v1': { family: 23, model: 1, stepping: 2 },
  'EPYC-v2': { family: 23, model: 1, stepping: 2 },
  'EPYC-IBPB': { family: 23, model: 1, stepping: 2 },
  'EPYC-v3': { family: 23, model: 1, stepping: 2 },
  'EPYC-v4': { family: 23, model: 1, stepping: 2 },
  'EPYC-Rome': { family: 23, model: 49, stepping: 0 },
  'EPYC-Rome-v1': { family: 23, model: 49, stepping: 0 },
  'EPYC-Rome-v2': { family: 23, model: 49, stepping: 0 },
  'EPYC-Rome-v3': { family: 23, model: 49, stepping: 0 },
  'EPYC-Milan': { family: 25, model: 1, stepping: 1 },
  'EPYC-Milan-v1': { family: 25, model: 1, stepping: 1 },
  'EPYC-Milan-v2': { family: 25, model: 1, stepping: 1 },
  'EPYC-Genoa': { family: 25, model: 17, stepping: 0 },
  'EPYC-Genoa-v1': { family: 25, model: 17, stepping: 0 },
  'EPYC-Turin': { family: 26, model: 0, stepping: 0 },
});

export const VCPU_TYPE_NAMES: readonly string[] = Object.freeze(Object.keys(VCPU_TYPES));

export function vcpuTypeSignature(name: string): number | undefined {
  const fms = Object.hasOwn(VCPU_TYPES, name) ? VCPU_TYPES[name] : undefined;
  return fms === undefined ? undefined : cpuSignature(fms);
}

/**
 * Models: the expected launch MEASUREMENT of a QEMU/EC2/GCE + OVMF guest for each SEV generation,
 * with sev-snp-measure's inputs and outcomes (virtee/sev-snp-measure guest.py at 8f2b337;
 * spec/snp.md section d). Real counterpart: the digest the AMD-SP firmware reports after the VMM's
 * launch.
 * Differs: none in the results; this is the library face of `parma-sim measure`.
 * Invariants: SNP digests are 48 bytes (SHA-384 chain), SEV/SEV-ES digests 32 bytes (SHA-256);
 * refused inputs throw HV_BAD_OVMF / HV_BAD_LAUNCH_INPUT with sev-snp-measure's message.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import {
  launchDigestOfPlan, loadFirmwareImage, planSnpLaunch, planSvsmLaunch, sevEsLaunchDigest,
  sevLaunchDigest, snpOvmfHash,
} from './qemu-launch-driver.js';
import { sevHashesOf, type SevHashes } from './sev-hashes-table.js';
import type { VmmType } from './vmm-types.js';

export const MEASURE_MODES = ['sev', 'seves', 'snp', 'snp:ovmf-hash', 'snp:svsm'] as const;
export type MeasureMode = (typeof MEASURE_MODES)[number];

/** sev-snp-measure's SevMode names, printed by --verbose. */
export const SEV_MODE_NAME: Readonly<Record<MeasureMode, string>> = Object.freeze({
  'sev': 'SEV', 'seves': 'SEV_ES', 'snp': 'SEV_SNP', 'snp:ovmf-hash': 'SEV_SNP',
  'snp:svsm': 'SEV_SNP_SVSM',
});

export type MeasureInput = Readonly<{
  mode: MeasureMode;
  ovmf: Uint8Array;
  vcpus?: number;
  vcpuSig?: number;
  guestFeatures?: bigint;
  vmmType?: VmmType;
  /** Direct kernel boot: either the bytes (hashed here) or the three SHA-256 digests. */
  kernel?: Uint8Array;
  initrd?: Uint8Array;
  append?: string;
  hashes?: SevHashes;
  /** Precomputed OVMF launch digest (snp only). */
  ovmfHash?: Uint8Array;
  svsm?: Uint8Array;
  varsSizeBytes?: number;
}>;

export type LaunchMeasurement = Readonly<{
  mode: MeasureMode; digest: Uint8Array; vmsas: readonly Uint8Array[];
}>;

function refuse(message: string): SimError {
  return new SimError('HV_BAD_LAUNCH_INPUT', { reason: message }, message);
}

/** The launch digest sev-snp-measure computes for the same inputs. */
export function measureLaunch(input: MeasureInput): LaunchMeasurement {
  const ovmf = loadFirmwareImage(input.ovmf);
  if (input.mode === 'snp:ovmf-hash') {
    return { mode: input.mode, digest: snpOvmfHash(ovmf), vmsas: [] };
  }
  if (input.ovmfHash !== undefined && input.mode !== 'snp') {
    throw refuse('SNP OVMF hash only works with SNP');
  }
  const hashes = input.hashes ?? (input.kernel === undefined ? undefined
    : sevHashesOf({ kernel: input.kernel, initrd: input.initrd, append: input.append }));
  const vmmType = input.vmmType ?? 'QEMU';
  const vcpus = input.vcpus ?? 0;
  const vcpuSig = input.vcpuSig ?? 0;
  let result: LaunchMeasurement;
  switch (input.mode) {
    case 'sev': result = { mode: 'sev', digest: sevLaunchDigest(ovmf, hashes), vmsas: [] }; break;
    case 'seves':
      result = { mode: 'seves', ...sevEsLaunchDigest({ ovmf, hashes, vcpus, vcpuSig, vmmType }) };
      break;
    case 'snp': {
      const plan = planSnpLaunch({ ovmf, ovmfHash: input.ovmfHash, hashes, vcpus, vcpuSig,
        guestFeatures: input.guestFeatures ?? 0x1n, vmmType });
      result = { mode: 'snp', digest: launchDigestOfPlan(plan), vmsas: plan.vmsas };
      break;
    }
    case 'snp:svsm': {
      if (vmmType !== 'QEMU') throw refuse('SVSM mode is only implemented for Qemu.');
      if (input.svsm === undefined) throw refuse('snp:svsm mode requires an SVSM image');
      const plan = planSvsmLaunch({
        ovmf: input.ovmf, svsm: input.svsm, varsSizeBytes: input.varsSizeBytes ?? 0,
        vcpus, vcpuSig,

      });
      result = { mode: 'snp:svsm', digest: launchDigestOfPlan(plan), vmsas: plan.vmsas };
      break;
    }
  }
  assert(result.digest.length === (input.mode === 'sev' || input.mode === 'seves' ? 32 : 48),
    'digest size');
  return result;
}

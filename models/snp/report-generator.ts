/**
 * Models: one guest on one simulated chip asking for one report: platform → guest context →
 * MSG_REPORT_REQ (SEV-SNP ABI spec 56860; spec snp.md a.10). The library call behind
 * `parma-sim snp report`.
 * Real counterpart: `snpguest report` inside an SNP guest. Differs: the guest context is built from
 * field values (guest-context-fields.ts) instead of a real launch.
 * Invariants: every field not given comes from the seed or the product defaults; the same options
 * give byte-identical reports; a refused request is SimError SNP_FIRMWARE_STATUS (detail.status).
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { Seed } from '../../sim/kernel/rng.js';
import type { ReportVersion } from './attestation-report.js';
import type { EndorsementKey } from './endorsement-keys.js';
import { createFirmware, requestReport, signingKeyOf, type FirmwareState } from './firmware.js';
import type { GuestContext } from './guest-context.js';
import { guestContextFromFields, type GuestContextFields } from './guest-context-fields.js';
import type { SigningKeyName } from './key-info.js';
import {
  createPlatform, DEFAULT_VLEK_CSP_ID, type CreatePlatformOptions, type PlatformState,
} from './platform.js';

export type GenerateReportOptions = Omit<CreatePlatformOptions, 'seed'>
  & Omit<GuestContextFields, 'seed' | 'launchTcb'> & Readonly<{
  seed: Seed;
  /** LAUNCH_TCB (default: the platform's current TCB, as at LAUNCH_START). */
  launchTcb?: bigint;
  report_data?: Uint8Array;
  vmpl?: number;
  /** VMPL of the VMPCK used to send the request (default: vmpl). */
  senderVmpl?: number;
  /** vcek → KEY_SEL 1, vlek → KEY_SEL 2 (loading a VLEK if none is); default KEY_SEL 0. */
  signingKey?: 'vcek' | 'vlek';
  /** The raw KEY_SEL word (overrides signingKey). */
  keySel?: number;
  version?: ReportVersion;
}>;

export type GeneratedReport = Readonly<{
  report: Uint8Array;
  version: ReportVersion;
  signingKey: SigningKeyName;
  endorsementKey: EndorsementKey | undefined;
  firmware: FirmwareState;
  platform: PlatformState;
  context: GuestContext;
}>;

export function generateReport(options: GenerateReportOptions): GeneratedReport {
  const vlekCspId = options.vlekCspId ??
    (options.signingKey === 'vlek' ? DEFAULT_VLEK_CSP_ID : undefined);
  const platform = createPlatform({ ...options, vlekCspId });
  const firmware = createFirmware(options.seed, platform);
  const context = guestContextFromFields({
    ...options, launchTcb: options.launchTcb ?? platform.current_tcb,
  });
  const reportData = options.report_data ?? new Uint8Array(64);
  if (reportData.length > 64) {
    throw new SimError('SNP_BAD_FIELD', { field: 'report_data', actualBytes: reportData.length },
      `report_data is at most 64 bytes, got ${reportData.length}`);
  }
  const padded = new Uint8Array(64);
  padded.set(reportData);
  const vmpl = options.vmpl ?? 0;
  const keySel = options.keySel ??
    (options.signingKey === 'vcek' ? 1 : options.signingKey === 'vlek' ? 2 : 0);
  const response = requestReport(firmware, {
    context, senderVmpl: options.senderVmpl ?? Math.min(Math.max(vmpl, 0), 3),
    request: { report_data: padded, vmpl, key_sel: keySel },
    ...(options.version === undefined ? {} : { version: options.version }),
  });
  if (response.status !== 0 || !('report' in response)) {
    const reason = 'reason' in response ? response.reason : 'refused';
    throw new SimError('SNP_FIRMWARE_STATUS',
      {
        command: 'MSG_REPORT_REQ', status: response.status, statusName: response.statusName,
        reason,
      },
      `MSG_REPORT_REQ failed with ${response.statusName} ` +
      `(0x${response.status.toString(16)}): ${reason}`);
  }
  const version = response.report[0]! as ReportVersion;
  assert(options.version === undefined || options.version === version);
  assert(response.report.length === 0x4a0);
  return Object.freeze({
    report: response.report, version, signingKey: response.signingKey,
    endorsementKey: signingKeyOf(firmware, response.signingKey), firmware, platform, context,
  });
}

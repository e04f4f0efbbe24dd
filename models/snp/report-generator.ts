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
import { Rng, type Seed } from '../../sim/kernel/rng.js';
import type { ReportVersion } from './attestation-report.js';
import type { EndorsementKey } from './endorsement-keys.js';
import { endorsementRootOf } from './endorsement-keys.js';
import {
  createFirmware, requestReport, signReport, signingKeyOf, type FirmwareState,
} from './firmware.js';
import type { GuestContext } from './guest-context.js';
import { guestContextFromFields, type GuestContextFields } from './guest-context-fields.js';
import type { SigningKeyName } from './key-info.js';
import {
  createPlatform, DEFAULT_VLEK_CSP_ID, type CreatePlatformOptions, type PlatformState,
} from './platform.js';

export type GenerateReportOptions = Omit<CreatePlatformOptions, 'rng'>
  & Omit<GuestContextFields, 'rng' | 'launchTcb'> & Readonly<{
  seed: Seed;
  /** Names the guest's random stream, so two guests on one seed differ (default "guest0"). */
  guestName?: string;
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
  const snp = Rng.fromSeed(options.seed).fork('snp');
  const platform = createPlatform({ ...options, rng: snp, vlekCspId });
  const firmware = createFirmware(endorsementRootOf(snp), platform);
  // LAUNCH_START captures CURRENT_TCB and the current mitigation vector (spec snp.md a.1).
  const context = guestContextFromFields({
    ...options, rng: snp.fork('guest').fork(options.guestName ?? 'guest0'),
    launchTcb: options.launchTcb ?? platform.current_tcb,
    launch_mit_vector: options.launch_mit_vector ?? platform.current_mit_vector,
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
  if (response.status !== 0 || !('value' in response)) {
    const reason = 'reason' in response ? response.reason : 'refused';
    throw new SimError('SNP_FIRMWARE_STATUS',
      {
        command: 'MSG_REPORT_REQ', status: response.status, statusName: response.statusName,
        reason,
      },
      `MSG_REPORT_REQ failed with ${response.statusName} ` +
      `(0x${response.status.toString(16)}): ${reason}`);
  }
  const { value } = response;
  const report = signReport(firmware, value);
  assert(options.version === undefined || options.version === value.version);
  assert(report.length === 0x4a0);
  return Object.freeze({
    report, version: value.version, signingKey: value.signingKey,
    endorsementKey: signingKeyOf(firmware, value.signingKey), firmware, platform, context,
  });
}

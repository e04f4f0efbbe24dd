/**
 * Models: AMD-SP firmware command status codes (SEV-SNP Firmware ABI spec 56860, "Status Codes"
 * table; the same numbering as Linux include/uapi/linux/psp-sev.h `sev_ret_code`).
 * Real counterpart: the STATUS word the PSP writes back for every firmware command.
 * Differs: only the statuses the launch commands can return are listed; 0 (SUCCESS) is never
 * thrown.
 * Invariants: names and values are unique; a thrown status is a SimError('SNP_FIRMWARE_STATUS')
 * whose detail carries `status` (number), `statusName` and the command that failed.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { SimError } from '../../../sim/kernel/errors.js';

/** Status name → value. Values from the ABI spec status table (psp-sev.h agrees). */
export const FIRMWARE_STATUS = Object.freeze({
  SUCCESS: 0x00,
  INVALID_PLATFORM_STATE: 0x01,
  INVALID_GUEST_STATE: 0x02,
  INVALID_CONFIG: 0x03,
  INVALID_LENGTH: 0x04,
  POLICY_FAILURE: 0x07,
  INVALID_ADDRESS: 0x09,
  BAD_SIGNATURE: 0x0a,
  BAD_MEASUREMENT: 0x0b,
  INVALID_GUEST: 0x10,
  UNSUPPORTED: 0x15,
  INVALID_PARAM: 0x16,
  INVALID_PAGE_SIZE: 0x19,
  INVALID_PAGE_STATE: 0x1a,
  INVALID_KEY: 0x27,
} as const);

export type FirmwareStatusName = Exclude<keyof typeof FIRMWARE_STATUS, 'SUCCESS'>;

/** The launch commands, by their ABI names. */
export type LaunchCommandName = 'SNP_LAUNCH_START' | 'SNP_LAUNCH_UPDATE' | 'SNP_LAUNCH_FINISH';

{
  const values = new Set<number>(Object.values(FIRMWARE_STATUS));
  assert(values.size === Object.keys(FIRMWARE_STATUS).length, 'FIRMWARE_STATUS: duplicate value');
  assert(FIRMWARE_STATUS.SUCCESS === 0, 'FIRMWARE_STATUS: SUCCESS is 0');
}

/** A firmware command refused with `statusName`; `reason` says which check failed, in words. */
export function firmwareStatusError(
  command: LaunchCommandName, statusName: FirmwareStatusName, reason: string,
  detail: Readonly<Record<string, unknown>> = {},
): SimError {
  const status = FIRMWARE_STATUS[statusName];
  assert((status as number) !== FIRMWARE_STATUS.SUCCESS,
    'firmwareStatusError: SUCCESS is not an error');
  assert(reason.length > 0, 'firmwareStatusError: a reason is required');
  return new SimError('SNP_FIRMWARE_STATUS', { command, status, statusName, reason, ...detail },
    `${command} failed with ${statusName} (0x${status.toString(16)}): ${reason}`);
}

/** For tests and callers: the statusName of a SNP_FIRMWARE_STATUS error thrown by `fn`. */
export function firmwareStatusOf(fn: () => unknown): FirmwareStatusName | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof SimError && error.code === 'SNP_FIRMWARE_STATUS') {
      return error.detail['statusName'] as FirmwareStatusName;
    }
    throw error;
  }
  return undefined;
}

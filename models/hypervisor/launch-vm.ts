/**
 * Models: the VMM issuing SNP_LAUNCH_START, one SNP_LAUNCH_UPDATE per planned range and
 * SNP_LAUNCH_FINISH to the AMD-SP firmware (KVM_SEV_SNP_LAUNCH_* ioctls as QEMU drives them).
 * Real counterpart: QEMU + KVM launching an SNP guest. Differs: no guest memory or RMP; the plan
 * from qemu-launch-driver.ts is replayed command by command against the firmware launch context.
 * Invariants: the guest context's MEASUREMENT equals `launchDigestOfPlan(plan)` (checked here, so
 * the fast path of `parma-sim measure` and the firmware model can never drift apart); firmware
 * refusals propagate unchanged as SNP_FIRMWARE_STATUS.
 */
import { assert } from '../../sim/kernel/assert.js';
import { toHex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { Rng } from '../../sim/kernel/rng.js';
import type { GuestContext } from '../snp/guest-context.js';
import {
  createLaunchContext, guestContextOf, snpLaunchFinish, snpLaunchStart, snpLaunchUpdate,
  type LaunchFinishCommand, type LaunchState,
} from '../snp/launch/launch-context.js';
import type { PlatformState } from '../snp/platform.js';
import { launchDigestOfPlan, type LaunchPlan } from './qemu-launch-driver.js';

export type LaunchVmInput = Readonly<{
  plan: LaunchPlan;
  policy: bigint;
  platform: PlatformState;
  /** The firmware's stream for this guest (e.g. rng.fork('snp').fork('guest').fork('guest0')). */
  rng: Rng;
  finish?: LaunchFinishCommand;
}>;

export type LaunchedVm = Readonly<{ snapshot: LaunchState; guest: GuestContext }>;

/** Launches a planned guest through the firmware launch context and returns its frozen context. */
export function launchVm(input: LaunchVmInput): LaunchedVm {
  if (input.plan.seedLd !== undefined) {
    throw new SimError('HV_BAD_LAUNCH_INPUT', {},
      'a plan that starts from a precomputed OVMF hash cannot be launched');
  }
  let snapshot = snpLaunchStart(createLaunchContext(), {
    policy: input.policy, platform: input.platform, current_tcb: input.platform.current_tcb,
    mit_vector: input.platform.current_mit_vector, rng: input.rng,
  });
  for (const update of input.plan.updates) {
    snapshot = snpLaunchUpdate(snapshot, {
      page_type: update.page_type, gpa: update.gpa, lengthBytes: update.lengthBytes,
      ...(update.contents !== undefined ? { contents: update.contents } : {}),
    });
  }
  snapshot = snpLaunchFinish(snapshot, input.finish ?? {});
  const guest = guestContextOf(snapshot);
  assert(guest.measurement === toHex(launchDigestOfPlan(input.plan)),
    'launch context agrees with the plan digest');
  assert(guest.policy === input.policy);
  return { snapshot, guest };
}

/**
 * Models: framework.rego mount_device, rw_mount_device, unmount_device, rw_unmount_device,
 * mount_blockdev, unmount_blockdev. Spec (c) "mount_device" .. "mount_blockdev".
 * Real counterpart: those rules; the GCS supplies mountPathRegex (uvm.go constants).
 * Differs: when the input has no mountPathRegex the HEAD GCS constant is used. v0.14.1 dialect:
 *   no target check at all (path traversal such as `m1/../../..` passed).
 * Invariants: a target is in at most one of devices / rw_devices; RO and RW unmounts cannot be
 *   confused; blockdev requests are always denied.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader, GCS_MOUNT_PATH_REGEX, GCS_RW_MOUNT_PATH_REGEX } from '../input-shapes.js';
import { has } from '../metadata.js';
import { anchorPattern, re2Match } from '../match/regex.js';
import {
  allow, candidateContainers, deny, withVersionReason, type RuleContext, type RuleResult
} from './rule-context.js';

function deviceMounted(ctx: RuleContext, target: string): boolean {
  return has(ctx.metadata.devices, target) || has(ctx.metadata.rw_devices, target);
}

function targetCheck(ctx: RuleContext, target: string, regex: string, reasons: string[]): boolean {
  if (ctx.dialect === 'v0.14.1') return true;
  if (re2Match(regex, target)) return true;
  reasons.push('mountpoint invalid');
  reasons.push(`target ${JSON.stringify(target)} does not match mountPathRegex `
    + `${anchorPattern(regex)} ` +
    '(HEAD target check; v0.14.1 had none, so older traces that mount elsewhere are denied)');
  return false;
}

export function mountDevice(ctx: RuleContext, input: unknown): RuleResult {
  const r = new InputReader('mount_device', input);
  const target = r.str('target');
  const deviceHash = r.str('deviceHash');
  const regex = r.optStr('mountPathRegex') ?? GCS_MOUNT_PATH_REGEX;
  const reasons: string[] = [];
  const hashOk = candidateContainers(ctx).some((c) => c.layers.includes(deviceHash));
  if (!hashOk) reasons.push('deviceHash not found');
  if (deviceMounted(ctx, target)) reasons.push('device already mounted at path');
  targetCheck(ctx, target, regex, reasons);
  if (reasons.length > 0) return deny(withVersionReason(ctx, reasons));
  assert(hashOk);
  return allow([{ name: 'devices', action: 'add', key: target, value: deviceHash }]);
}

export function rwMountDevice(ctx: RuleContext, input: unknown): RuleResult {
  const r = new InputReader('rw_mount_device', input);
  const target = r.str('target');
  const encrypted = r.optBool('encrypted') === true;
  const ensureFilesystem = r.optBool('ensureFilesystem') === true;
  const filesystem = r.optStr('filesystem');
  const regex = r.optStr('mountPathRegex') ?? GCS_RW_MOUNT_PATH_REGEX;
  const reasons: string[] = [];
  if (deviceMounted(ctx, target)) reasons.push('device already mounted at path');
  if (!encrypted && !ctx.policy.flags.allow_unencrypted_scratch) {
    reasons.push('unencrypted scratch not allowed, non-readonly mount request for SCSI disk must '
      + 'request encryption');
  }
  if (!ensureFilesystem) reasons.push('ensureFilesystem must be set on rw device mounts');
  if (filesystem !== 'ext4' && filesystem !== 'xfs') {
    reasons.push('rw device mounts uses a filesystem that is not allowed');
  }
  targetCheck(ctx, target, regex, reasons);
  if (reasons.length > 0) return deny(reasons);
  assert(ensureFilesystem);
  return allow([{ name: 'rw_devices', action: 'add', key: target, value: true }]);
}

export function unmountDevice(ctx: RuleContext, input: unknown): RuleResult {
  const target = new InputReader('unmount_device', input).str('unmountTarget');
  if (has(ctx.metadata.devices, target)) {
    return allow([{ name: 'devices', action: 'remove', key: target }]);
  }
  return deny([has(ctx.metadata.rw_devices, target)
    ? 'received read-only unmount request, but device provided is read-write'
    : 'no device at path to unmount']);
}

export function rwUnmountDevice(ctx: RuleContext, input: unknown): RuleResult {
  const target = new InputReader('rw_unmount_device', input).str('unmountTarget');
  if (has(ctx.metadata.rw_devices, target)) {
    return allow([{ name: 'rw_devices', action: 'remove', key: target }]);
  }
  return deny([has(ctx.metadata.devices, target)
    ? 'received read-write unmount request, but device provided is read-only'
    : 'no device at path to unmount']);
}

/** mount_blockdev / unmount_blockdev: symlinks to raw /dev/sdX would bypass dm-verity/dm-crypt. */
export function blockdev(rule: 'mount_blockdev' | 'unmount_blockdev') {
  return (_ctx: RuleContext, input: unknown): RuleResult => {
    new InputReader(rule, input);   // still must be an object
    return deny(['blockdev mounts are not supported']);
  };
}

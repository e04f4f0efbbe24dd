/**
 * Models: framework.rego mount_device, rw_mount_device, unmount_device, rw_unmount_device,
 * mount_blockdev, unmount_blockdev, with their error helpers. Spec (c) "mount_device" ..
 * "mount_blockdev".
 * Real counterpart: those rules at HEAD; v0.14.1 has only mount_device / unmount_device, no
 *   target check (path traversal such as `m1/../../..` passed) and no rw_devices.
 * Differs: when the input has no mountPathRegex the HEAD GCS constant is used (the framework
 *   would fail the target check).
 * Invariants: at HEAD a target is in at most one of devices / rw_devices and RO / RW unmounts
 *   cannot be confused; blockdev requests are always denied.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader, GCS_MOUNT_PATH_REGEX, GCS_RW_MOUNT_PATH_REGEX } from '../input-shapes.js';
import { has } from '../metadata.js';
import { regoRegexMatch } from '../match/rego-regex.js';
import { anchorPattern } from '../match/regex.js';
import { layerKnown } from './candidates.js';
import { allow, defineRule, deny, type RuleContext } from './rule-context.js';

/** device_mounted: in devices, or (HEAD) in rw_devices. */
function deviceMounted(ctx: RuleContext, target: string): boolean {
  return has(ctx.metadata.devices, target)
    || (ctx.dialect.rwDevices && has(ctx.metadata.rw_devices, target));
}

/** mount_target_ok: regex.match(anchor_pattern(input.mountPathRegex), input.target). */
function targetOk(ctx: RuleContext, target: string, regex: string): boolean {
  return !ctx.dialect.mountTargetCheck || regoRegexMatch(regex, target, true);
}

function targetNote(target: string, regex: string): string {
  return `target ${JSON.stringify(target)} does not match mountPathRegex ${anchorPattern(regex)} `
    + '(HEAD checks mount targets; v0.14.1 did not, so older traces that mount elsewhere are '
    + 'denied)';
}

type MountRequest = Readonly<{ target: string; deviceHash: string; regex: string }>;

export const mountDevice = defineRule<MountRequest>({
  parse: (input) => {
    const r = new InputReader('mount_device', input);
    return { target: r.str('target'), deviceHash: r.str('deviceHash'),
      regex: r.optStr('mountPathRegex') ?? GCS_MOUNT_PATH_REGEX };
  },
  decide: (ctx, req) => {
    if (deviceMounted(ctx, req.target) || !layerKnown(ctx, req.deviceHash)) return deny();
    if (!targetOk(ctx, req.target, req.regex)) return deny([targetNote(req.target, req.regex)]);
    return allow([{ name: 'devices', action: 'add', key: req.target, value: req.deviceHash }]);
  },
  errors: (ctx, req) => {
    const out: string[] = [];
    if (!layerKnown(ctx, req.deviceHash)) out.push('deviceHash not found');
    if (deviceMounted(ctx, req.target)) out.push('device already mounted at path');
    if (!targetOk(ctx, req.target, req.regex)) out.push('mountpoint invalid');
    return out;
  },
});

type RwMountRequest = Readonly<{
  target: string; encrypted: boolean; ensureFilesystem: boolean; filesystem: string | undefined;
  regex: string;
}>;

/** allowed_scratch_fs("ext4") / ("xfs"); an absent filesystem is none of them. */
const SCRATCH_FILESYSTEMS: readonly (string | undefined)[] = Object.freeze(['ext4', 'xfs']);

function rwMountErrors(ctx: RuleContext, req: RwMountRequest): string[] {
  const out: string[] = [];
  if (deviceMounted(ctx, req.target)) out.push('device already mounted at path');
  if (!targetOk(ctx, req.target, req.regex)) out.push('mountpoint invalid');
  if (!req.encrypted && !ctx.policy.flags.allow_unencrypted_scratch) {
    out.push('unencrypted scratch not allowed, non-readonly mount request for SCSI disk must '
      + 'request encryption');
  }
  if (!req.ensureFilesystem) out.push('ensureFilesystem must be set on rw device mounts');
  if (!SCRATCH_FILESYSTEMS.includes(req.filesystem)) {
    out.push('rw device mounts uses a filesystem that is not allowed');
  }
  return out;
}

export const rwMountDevice = defineRule<RwMountRequest>({
  parse: (input) => {
    const r = new InputReader('rw_mount_device', input);
    return { target: r.str('target'), encrypted: r.optBool('encrypted') === true,
      ensureFilesystem: r.optBool('ensureFilesystem') === true,
      filesystem: r.optStr('filesystem'),
      regex: r.optStr('mountPathRegex') ?? GCS_RW_MOUNT_PATH_REGEX };
  },
  // Every clause of the rule has an error string of its own: it is allowed iff none applies.
  decide: (ctx, req) => {
    if (rwMountErrors(ctx, req).length > 0) return deny();
    assert(req.ensureFilesystem);
    return allow([{ name: 'rw_devices', action: 'add', key: req.target, value: true }]);
  },
  errors: rwMountErrors,
});

export const unmountDevice = defineRule<string>({
  parse: (input) => new InputReader('unmount_device', input).str('unmountTarget'),
  decide: (ctx, target) => has(ctx.metadata.devices, target)
    ? allow([{ name: 'devices', action: 'remove', key: target }]) : deny(),
  errors: (ctx, target) => {
    if (has(ctx.metadata.devices, target)) return [];
    if (ctx.dialect.rwDevices && has(ctx.metadata.rw_devices, target)) {
      return ['received read-only unmount request, but device provided is read-write'];
    }
    return ['no device at path to unmount'];
  },
});

export const rwUnmountDevice = defineRule<string>({
  parse: (input) => new InputReader('rw_unmount_device', input).str('unmountTarget'),
  decide: (ctx, target) => has(ctx.metadata.rw_devices, target)
    ? allow([{ name: 'rw_devices', action: 'remove', key: target }]) : deny(),
  errors: (ctx, target) => {
    if (has(ctx.metadata.rw_devices, target)) return [];
    if (has(ctx.metadata.devices, target)) {
      return ['received read-write unmount request, but device provided is read-only'];
    }
    return ['no device at path to unmount'];
  },
});

/** mount_blockdev / unmount_blockdev: symlinks to raw /dev/sdX would bypass dm-verity/dm-crypt. */
export function blockdev(rule: 'mount_blockdev' | 'unmount_blockdev') {
  return defineRule<null>({
    parse: (input) => { new InputReader(rule, input); return null; },
    decide: () => deny(),
    errors: () => ['blockdev mounts are not supported'],
  });
}

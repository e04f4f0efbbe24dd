/**
 * Models: framework.rego mount matching: mountSource_ok (sandbox://, hugepages://, plan9://,
 * literal), mountConstraint_ok, mount_ok over the container's mounts, data.defaultMounts,
 * data.privilegedMounts (allow_elevated only) and the sandbox-container rw sysfs carve-out.
 * Real counterpart: the Rego above, with hcsshim DefaultCRIMounts / DefaultCRIPrivilegedMounts.
 * Differs: the GCS's run-time ExtendDefaultMounts (per-sandbox /etc/hostname, /etc/hosts,
 *   /etc/resolv.conf binds) is not modelled; the cgroup2 rows are [inferred] from the spec.
 * Invariants: types equal, destination non-empty and equal, options equal as multisets of equal
 *   size; `sandbox://` / `hugepages://` are replaced (every occurrence, like Rego `replace`) by the
 *   request's sandboxDir / hugePagesDir and the result is an anchored RE2 (unanchored in v0.14.1).
 */
import { assert } from '../../../sim/kernel/assert.js';
import type { MountRule, PolicyContainer } from '../policy-model.js';
import type { RequestedMount } from '../input-shapes.js';
import { re2Match } from './regex.js';

export const SANDBOX_PREFIX = 'sandbox://';
export const HUGEPAGES_PREFIX = 'hugepages://';
export const PLAN9_PREFIX = 'plan9://';

const ro = (destination: string, type: string, source: string, options: string[]): MountRule =>
  Object.freeze({ destination, type, source, options: Object.freeze(options) });

/** data.defaultMounts: what containerd adds to every Linux container spec. */
export const DEFAULT_MOUNTS: readonly MountRule[] = Object.freeze([
  ro('/proc', 'proc', 'proc', ['nosuid', 'noexec', 'nodev']),
  ro('/dev', 'tmpfs', 'tmpfs', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
  ro('/dev/pts', 'devpts', 'devpts', ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666',
    'mode=0620', 'gid=5']),
  ro('/dev/shm', 'tmpfs', 'shm', ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']),
  ro('/dev/mqueue', 'mqueue', 'mqueue', ['nosuid', 'noexec', 'nodev']),
  ro('/sys', 'sysfs', 'sysfs', ['nosuid', 'noexec', 'nodev', 'ro']),
  ro('/run', 'tmpfs', 'tmpfs', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
  ro('/sys/fs/cgroup', 'cgroup', 'cgroup', ['nosuid', 'noexec', 'nodev', 'relatime', 'ro']),
  ro('/sys/fs/cgroup', 'cgroup2', 'cgroup', ['nosuid', 'noexec', 'nodev', 'relatime', 'ro']),
]);

/** data.privilegedMounts: rw sysfs and cgroup, for allow_elevated containers only. */
export const PRIVILEGED_MOUNTS: readonly MountRule[] = Object.freeze([
  ro('/sys', 'sysfs', 'sysfs', ['nosuid', 'noexec', 'nodev', 'rw']),
  ro('/sys/fs/cgroup', 'cgroup', 'cgroup', ['nosuid', 'noexec', 'nodev', 'relatime', 'rw']),
  ro('/sys/fs/cgroup', 'cgroup2', 'cgroup', ['nosuid', 'noexec', 'nodev', 'relatime', 'rw']),
]);

export type MountContext = Readonly<{
  containerID: string;
  sandboxDir: string | undefined;
  hugePagesDir: string | undefined;
  isSandboxContainer: boolean;
  /** metadata.p9mounts: plan9 target → container ID. */
  p9mounts: Readonly<Record<string, string>>;
  anchored: boolean;
}>;

export function mountSourceOk(constraint: string, source: string, ctx: MountContext): boolean {
  if (constraint.startsWith(SANDBOX_PREFIX) && ctx.sandboxDir !== undefined &&
      re2Match(constraint.split(SANDBOX_PREFIX).join(ctx.sandboxDir), source,
        ctx.anchored)) return true;
  if (constraint.startsWith(HUGEPAGES_PREFIX) && ctx.hugePagesDir !== undefined &&
      re2Match(constraint.split(HUGEPAGES_PREFIX).join(ctx.hugePagesDir), source,
        ctx.anchored)) return true;
  if (constraint.startsWith(PLAN9_PREFIX) && Object.hasOwn(ctx.p9mounts, source) &&
      ctx.p9mounts[source] === ctx.containerID) return true;
  return constraint === source;
}

function optionsEqual(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (const option of a) if (!b.includes(option)) return false;
  for (const option of b) if (!a.includes(option)) return false;
  return true;
}

export function mountConstraintOk(constraint: MountRule, mount: RequestedMount,
    ctx: MountContext): boolean {
  if (mount.type !== constraint.type) return false;
  if (mount.destination === '' || mount.destination !== constraint.destination) return false;
  if (!optionsEqual(mount.options, constraint.options)) return false;
  return mountSourceOk(constraint.source, mount.source, ctx);
}

/** The pause container may mount /sys rw (containerd v2 for privileged pods). */
function sandboxSysfsOk(mount: RequestedMount): boolean {
  return mount.type === 'sysfs' && mount.source === 'sysfs' && mount.destination === '/sys' &&
    mount.options.length === 4 && ['nosuid', 'noexec', 'nodev', 'rw'].every((o) =>
      mount.options.includes(o));
}

export function mountOk(container: PolicyContainer, mount: RequestedMount,
    ctx: MountContext): boolean {
  for (const c of container.mounts) if (mountConstraintOk(c, mount, ctx)) return true;
  for (const c of DEFAULT_MOUNTS) if (mountConstraintOk(c, mount, ctx)) return true;
  if (container.allow_elevated) {
    for (const c of PRIVILEGED_MOUNTS) if (mountConstraintOk(c, mount, ctx)) return true;
  }
  return ctx.isSandboxContainer && sandboxSysfsOk(mount);
}

export function mountListOk(container: PolicyContainer, mounts: readonly RequestedMount[],
    ctx: MountContext): boolean {
  assert(mounts.length < 1_000_000);
  for (const mount of mounts) if (!mountOk(container, mount, ctx)) return false;
  return true;
}

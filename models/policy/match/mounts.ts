/**
 * Models: framework.rego mount matching: mountSource_ok (sandbox://, hugepages://, plan9://,
 * literal), mountConstraint_ok, mount_ok over the container's mounts, data.defaultMounts,
 * data.privilegedMounts (allow_elevated only) and, at HEAD, the sandbox-container rw sysfs
 * carve-out; mountList_ok.
 * Real counterpart: the Rego above; the default and privileged lists are the dialect's
 *   (models/policy/dialect.ts).
 * Differs: nothing deliberate.
 * Invariants: types equal, destination non-empty and equal, options equal as multisets of equal
 *   size; `sandbox://` / `hugepages://` are replaced (every occurrence, like Rego `replace`) by the
 *   request's sandboxDir / hugePagesDir and the result is an RE2 pattern, anchored where the
 *   dialect anchors; an absent sandboxDir / hugePagesDir fails that branch (undefined in Rego).
 */
import { assert } from '../../../sim/kernel/assert.js';
import type { MountRule, PolicyContainer } from '../policy-model.js';
import type { RequestedMount } from '../input-shapes.js';
import type { DialectInfo } from '../dialect.js';
import { regoRegexMatch } from './rego-regex.js';

export const SANDBOX_PREFIX = 'sandbox://';
export const HUGEPAGES_PREFIX = 'hugepages://';
export const PLAN9_PREFIX = 'plan9://';

export type MountContext = Readonly<{
  containerID: string;
  sandboxDir: string | undefined;
  hugePagesDir: string | undefined;
  isSandboxContainer: boolean;
  /** metadata.p9mounts: plan9 target → container ID. */
  p9mounts: Readonly<Record<string, string>>;
  dialect: DialectInfo;
}>;

function prefixedSourceOk(constraint: string, prefix: string, dir: string | undefined,
    source: string, anchored: boolean): boolean {
  if (!constraint.startsWith(prefix) || dir === undefined) return false;
  return regoRegexMatch(constraint.split(prefix).join(dir), source, anchored);
}

export function mountSourceOk(constraint: string, source: string, ctx: MountContext): boolean {
  const anchored = ctx.dialect.anchoredPatterns;
  if (prefixedSourceOk(constraint, SANDBOX_PREFIX, ctx.sandboxDir, source, anchored)) return true;
  if (prefixedSourceOk(constraint, HUGEPAGES_PREFIX, ctx.hugePagesDir, source,
    anchored)) return true;
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

/** HEAD: the pause container may mount /sys rw (containerd v2 for privileged pods). */
function sandboxSysfsOk(mount: RequestedMount): boolean {
  return mount.type === 'sysfs' && mount.source === 'sysfs' && mount.destination === '/sys' &&
    mount.options.length === 4 && ['nosuid', 'noexec', 'nodev', 'rw'].every((o) =>
      mount.options.includes(o));
}

export function mountOk(container: PolicyContainer, mount: RequestedMount,
    ctx: MountContext): boolean {
  for (const c of container.mounts) if (mountConstraintOk(c, mount, ctx)) return true;
  for (const c of ctx.dialect.defaultMounts) if (mountConstraintOk(c, mount, ctx)) return true;
  if (container.allow_elevated) {
    for (const c of ctx.dialect.privilegedMounts) {
      if (mountConstraintOk(c, mount, ctx)) return true;
    }
  }
  return ctx.dialect.sandboxSysfs && ctx.isSandboxContainer && sandboxSysfsOk(mount);
}

/** mountList_ok: every requested mount is allowed (HEAD also requires is_linux: `linux`). */
export function mountListOk(container: PolicyContainer, mounts: readonly RequestedMount[],
    ctx: MountContext, linux: boolean): boolean {
  assert(mounts.length < 1_000_000);
  if (!linux) return false;
  for (const mount of mounts) if (!mountOk(container, mount, ctx)) return false;
  return true;
}

/**
 * Models: what the GCS changes in a workload container's OCI spec before it asks the policy
 * (hcsv2 setupWorkloadContainerSpec): `sandbox://` mount sources become directories under
 * /run/gcs/c/<sandbox id>/sandboxMounts and `hugepages://` sources under .../hugepages (each
 * created if missing, a hugepages one mounted as hugetlbfs with its page size), and an OCI
 * username (the image's USER string, which the host cannot resolve) becomes uid:gid read from
 * the container's own /etc/passwd and /etc/group (specGuest.SetUserStr).
 * Real counterpart: internal/guest/runtime/hcsv2/workload_container.go updateSandboxMounts,
 * updateHugePageMounts; internal/guest/spec SandboxMountSource, HugePagesMountSource, SetUserStr.
 * Differs: a created directory is a record in GuestState.mountSources (no inode on the scratch
 * disk); a hugetlbfs mount accepts the x86-64 page sizes (2 MiB and 1 GiB) only, read from the
 * first part of the source as the kernel's memparse reads pagesize=; the directories stay
 * until the UVM stops (the GCS removes them with the sandbox's bundle, which is not modelled).
 * Invariants: a rewritten source is the cleaned join of the sandbox's directory and the rest of
 * the source, and starts with that directory (the GCS's prefix check, without a trailing
 * slash, as in Go); directories made before a failing mount stay made, as in the GCS.
 */
import { posix } from 'node:path';
import { assert } from '../../sim/kernel/assert.js';
import { LCOW_ROOT_PREFIX } from './confidential-checks.js';
import type { ContainerMountSpec, MountSourceDir } from './guest-state.js';

/** guestpath.SandboxMountPrefix and HugePagesMountPrefix. */
export const SANDBOX_MOUNT_PREFIX = 'sandbox://';
export const HUGEPAGES_MOUNT_PREFIX = 'hugepages://';

/** specGuest.SandboxMountsDir / HugePagesMountsDir. */
export const sandboxMountsDir = (sandboxId: string): string =>
  cleanPath(`${LCOW_ROOT_PREFIX}/${sandboxId}/sandboxMounts`);
export const hugePagesMountsDir = (sandboxId: string): string =>
  cleanPath(`${LCOW_ROOT_PREFIX}/${sandboxId}/hugepages`);

/** Go's path.Clean for the paths here: no trailing slash, no "." or "..", one slash each. */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** filepath.Join(dir, rest): empty parts dropped, the result cleaned. */
function joinPath(dir: string, rest: string): string {
  return rest === '' ? cleanPath(dir) : cleanPath(`${dir}/${rest}`);
}

/** Hugepage sizes x86-64 supports, as the kernel's memparse reads pagesize=. */
const HUGEPAGE_BYTES: readonly number[] = Object.freeze([2 * 1024 * 1024, 1024 * 1024 * 1024]);

/**
 * The kernel's memparse of hugetlbfs's pagesize=: a number (decimal, 0x hex or 0 octal) and an
 * optional K/M/G/T/P/E suffix; whatever follows is ignored (so "2Mi" reads as 2 MiB).
 */
function pageSizeBytes(text: string): number | null {
  const match = /^(0[xX][0-9a-fA-F]{1,12}|0[0-7]{0,15}|[1-9][0-9]{0,14})([KkMmGgTtPpEe]?)/
    .exec(text);
  if (match === null) return null;
  const digits = match[1]!;
  const value = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16)
    : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : Number(digits);
  const shift = ['', 'k', 'm', 'g', 't', 'p', 'e'].indexOf(match[2]!.toLowerCase());
  return value * 1024 ** shift;
}

export type SandboxMountRewrite = Readonly<{
  /** The spec's mounts with their sources rewritten (all of them when `failure` is null). */
  mounts: readonly ContainerMountSpec[];
  /** mountSources with the directories made (up to the failing mount, when one failed). */
  mountSources: Readonly<Record<string, MountSourceDir>>;
  /** The GCS's error, or null. */
  failure: string | null;
}>;

type Made = Record<string, MountSourceDir>;

function rewriteOne(sandboxId: string, m: ContainerMountSpec, made: Made,
  known: (path: string) => boolean): string | Readonly<{ failure: string }> {
  if (m.source.startsWith(SANDBOX_MOUNT_PREFIX)) {
    const dir = sandboxMountsDir(sandboxId);
    const source = joinPath(dir, m.source.slice(SANDBOX_MOUNT_PREFIX.length));
    if (!source.startsWith(dir)) {
      return { failure: `mount path ${source} for mount ${m.source} is not within sandbox's `
        + 'mounts dir' };
    }
    if (!known(source)) made[source] = Object.freeze({ sandboxId, kind: 'dir', pageSize: null });
    return source;
  }
  if (m.source.startsWith(HUGEPAGES_MOUNT_PREFIX)) {
    const dir = hugePagesMountsDir(sandboxId);
    const sub = m.source.slice(HUGEPAGES_MOUNT_PREFIX.length);
    const pageSize = sub.split('/')[0]!;
    const source = joinPath(dir, sub);
    if (!source.startsWith(dir)) {
      return { failure: `mount path ${source} for mount ${m.source} is not within hugepages's `
        + 'mounts dir' };
    }
    if (known(source)) return source;
    made[source] = Object.freeze({ sandboxId, kind: 'dir', pageSize: null });
    const bytes = pageSizeBytes(pageSize);
    if (bytes === null || !HUGEPAGE_BYTES.includes(bytes)) {
      return { failure: `mount operation failed for ${source} failed with error invalid argument` };
    }
    made[source] = Object.freeze({ sandboxId, kind: 'hugetlbfs', pageSize });
    return source;
  }
  return m.source;
}

/**
 * updateSandboxMounts then updateHugePageMounts over `mounts` for the workload container of
 * `sandboxId`; `mountSources` are the directories made so far (a directory that exists is not
 * made again, and an existing hugepages directory is not mounted again).
 */
export function rewriteSandboxMounts(ids: Readonly<{ containerId: string; sandboxId: string }>,
  mounts: readonly ContainerMountSpec[],
  mountSources: Readonly<Record<string, MountSourceDir>>): SandboxMountRewrite {
  const { containerId, sandboxId } = ids;
  const made: Made = {};
  const known = (path: string): boolean => Object.hasOwn(mountSources, path)
    || Object.hasOwn(made, path);
  const out: ContainerMountSpec[] = [];
  let failure: string | null = null;
  // The GCS makes two passes (sandbox sources, then hugepages); a failure in the first stops
  // before any hugepages directory is made.
  for (const prefix of [SANDBOX_MOUNT_PREFIX, HUGEPAGES_MOUNT_PREFIX]) {
    for (const m of mounts) {
      if (failure !== null || !m.source.startsWith(prefix)) continue;
      const source = rewriteOne(sandboxId, m, made, known);
      if (typeof source === 'string') continue;
      failure = `failed to update ${prefix === SANDBOX_MOUNT_PREFIX ? 'sandbox' : 'hugepages'} `
        + `mounts for container ${containerId} in sandbox ${sandboxId}: ${source.failure}`;
    }
  }
  for (const m of mounts) {
    const source = failure === null ? rewriteOne(sandboxId, m, {}, () => true) : m.source;
    out.push(typeof source === 'string' && source !== m.source
      ? Object.freeze({ ...m, source }) : m);
  }
  const next = Object.keys(made).length === 0 ? mountSources
    : Object.freeze({ ...mountSources, ...made });
  if (failure === null) assert(out.every((m) => !m.source.startsWith(SANDBOX_MOUNT_PREFIX)));
  assert(Object.keys(next).length >= Object.keys(mountSources).length, 'nothing removed');
  return { mounts: Object.freeze(out), mountSources: next, failure };
}

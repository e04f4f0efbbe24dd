/**
 * Models: OPA's `semver.compare` / `semver.is_valid` and `to_number` as framework.rego uses them for
 * api_version, framework_version and fragment SVNs.
 * Real counterpart: OPA builtins (Semantic Versioning 2.0.0).
 * Differs: pre-release parts compare as plain strings; build metadata is ignored.
 * Invariants: compare is a total order on valid versions; invalid input is `undefined`, never a throw.
 */
import { assert } from '../../../sim/kernel/assert.js';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function isSemver(value: unknown): value is string {
  return typeof value === 'string' && SEMVER.test(value);
}

/** -1, 0 or 1; undefined when either side is not a valid version (Rego: undefined). */
export function compareSemver(a: string, b: string): -1 | 0 | 1 | undefined {
  const ma = SEMVER.exec(a);
  const mb = SEMVER.exec(b);
  if (ma === null || mb === null) return undefined;
  for (let i = 1; i <= 3; i++) {
    const x = Number(ma[i]);
    const y = Number(mb[i]);
    if (x !== y) return x < y ? -1 : 1;
  }
  const pa = ma[4];
  const pb = mb[4];
  if (pa === pb) return 0;
  if (pa === undefined) return 1;   // a release is newer than its pre-releases
  if (pb === undefined) return -1;
  const result = pa < pb ? -1 : 1;
  assert(pa !== pb);
  return result;
}

/** OPA `to_number`: numbers, and strings that are decimal numbers; else undefined. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !/^-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Models: OPA's `semver.is_valid`, `semver.compare` and `to_number`, as framework.rego uses them
 * for api_version, framework_version and fragment SVNs. The one semver implementation of the
 * policy model.
 * Real counterpart: OPA builtins (Semantic Versioning 2.0.0, section 11 precedence).
 * Differs: nothing deliberate; build metadata is ignored, as SemVer says.
 * Invariants: compare is a total order on valid versions; invalid input is `undefined`, never a
 * throw.
 */
import { assert } from '../../../sim/kernel/assert.js';

// SemVer 2.0.0 sections 2, 9, 10: MAJOR.MINOR.PATCH[-prerelease][+build], no leading zeros.
const IDENTIFIER = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const SEMVER = new RegExp(`^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)`
  + `(?:-(${IDENTIFIER}(?:\\.${IDENTIFIER})*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`);
// The JSON number grammar: what OPA's to_number accepts from a string.
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

export function isSemver(value: unknown): value is string {
  return typeof value === 'string' && SEMVER.test(value);
}

function comparePrerelease(a: string | undefined, b: string | undefined): -1 | 0 | 1 {
  if (a === b) return 0;
  if (a === undefined) return 1; // 11.3: a release outranks its pre-releases
  if (b === undefined) return -1;
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1; // 11.4.4: fewer fields rank lower
    if (q === undefined) return 1;
    const pn = /^[0-9]+$/.test(p);
    const qn = /^[0-9]+$/.test(q);
    if (pn && qn && BigInt(p) !== BigInt(q)) return BigInt(p) < BigInt(q) ? -1 : 1;
    if (pn !== qn) return pn ? -1 : 1; // 11.4.3: numeric identifiers rank lower
    if (!pn && p !== q) return p < q ? -1 : 1;
  }
  assert(a !== b);
  return 0;
}

/**
 * -1, 0 or 1 by SemVer precedence; undefined when either side is not a valid version (Rego:
 * undefined).
 */
export function compareSemver(a: string, b: string): -1 | 0 | 1 | undefined {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (x === null || y === null) return undefined;
  for (let i = 1; i <= 3; i++) {
    const d = BigInt(x[i]!) - BigInt(y[i]!);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return comparePrerelease(x[4], y[4]);
}

/** OPA `to_number`: finite numbers, and strings in the JSON number grammar; else undefined. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !DECIMAL.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

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
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    const pn = /^[0-9]+$/.test(p);
    const qn = /^[0-9]+$/.test(q);
    if (pn !== qn) return pn ? -1 : 1; // 11.4.3: numeric identifiers rank lower
    if (pn && BigInt(p) < BigInt(q)) return -1; // 11.4.1: numerically
    if (pn && BigInt(p) > BigInt(q)) return 1;
    // 11.4.2: other identifiers in ASCII order (equal numbers are equal text: no leading zeros).
    if (p < q) return -1;
    if (p > q) return 1;
  }
  // Identifiers are canonical (no leading zeros), so equal fields mean equal text: the lists
  // differ in length. 11.4.4: the longer one ranks higher.
  assert(x.length !== y.length, 'different pre-releases differ in a field or in length');
  return Math.sign(x.length - y.length) as -1 | 1;
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
    const p = BigInt(x[i]!);
    const q = BigInt(y[i]!);
    if (p < q) return -1;
    if (p > q) return 1;
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

/**
 * Models: the fragment SVN rules of hcsshim pkg/securitypolicy/framework.rego (`svn_ok`,
 * `svn_mismatch` and the load_fragment errors), plus the header SVN of the 2025 signed envelope:
 * an SVN is a string or a number; it is compared as a number when Rego's `to_number` accepts both
 * sides, as semver (deprecated form) when both are valid semver strings; a number on one side and a
 * semver on the other is a type mismatch. See shared/spec/policy.md section (c), load_fragment.
 * Real counterpart: the Rego rules evaluated by OPA inside the GCS.
 * Differs: nothing deliberate; `to_number` and semver come from match/semver.ts (OPA's builtins).
 * Invariants: pure predicates, no throws; the reason texts are the framework's exact ones; a
 * type mismatch is never also "below the minimum" (rules/fragments.ts reports one reason).
 */
import { compareSemver, isSemver, toNumber as svnToNumber } from './match/semver.js';

export type Svn = string | number;

/** Reason texts, byte-for-byte those of framework.rego (and of the spec for the header checks). */
export const SVN_REASON = {
  below: 'fragment svn is below the specified minimum',
  typeMismatch: 'fragment svn and the specified minimum are different types',
  headerMismatch: 'svn in header does not match svn in fragment',
  missing: 'missing fragment svn',
} as const;

/** framework.rego `svn_mismatch`: a number on one side, a semver on the other. */
export function svnTypesDiffer(svn: Svn, minimumSvn: Svn): boolean {
  return (svnToNumber(svn) !== undefined && isSemver(minimumSvn))
    || (isSemver(svn) && svnToNumber(minimumSvn) !== undefined);
}

/** framework.rego `svn_ok`: svn >= minimum, as semver when both are semver, else as numbers. */
export function svnAtLeast(svn: Svn, minimumSvn: Svn): boolean {
  // compareSemver is undefined unless both sides are semver strings; to_number's undefined
  // becomes NaN, which is at least nothing (Rego: the comparison is undefined).
  if ((compareSemver(String(svn), String(minimumSvn)) ?? -1) >= 0) return true;
  return (svnToNumber(svn) ?? NaN) >= (svnToNumber(minimumSvn) ?? NaN);
}

/** Whether the header SVN and the fragment's own `svn` name the same version. */
export function svnEqual(a: Svn, b: Svn): boolean {
  // The same number, the same semver precedence, or the same text; a number never equals a
  // semver (compareSemver is undefined unless both sides are semver strings).
  const x = svnToNumber(a);
  return (x !== undefined && x === svnToNumber(b)) || compareSemver(String(a), String(b)) === 0
    || a === b;
}

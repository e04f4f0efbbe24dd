/**
 * Models: the fragment SVN rules of hcsshim pkg/securitypolicy/framework.rego (`svn_ok`,
 * `svn_mismatch` and the load_fragment errors), plus the header SVN of the 2025 signed envelope:
 * an SVN is a string or a number; it is compared as a number when Rego's `to_number` accepts both
 * sides, as semver (deprecated form) when both are valid semver strings; a number on one side and a
 * semver on the other is a type mismatch. See shared/spec/policy.md section (c), load_fragment.
 * Real counterpart: the Rego rules evaluated by OPA inside the GCS.
 * Differs: nothing deliberate; `to_number` and semver come from match/semver.ts (OPA's builtins).
 * Invariants: the verdict is a value listing the one failing reason, with the framework's exact
 * reason text; a mismatch is reported as a mismatch, never as "below the minimum".
 */
import { assert } from '../../sim/kernel/assert.js';
import type { SimErrorCode } from '../../sim/kernel/errors.js';
import { compareSemver, isSemver, toNumber as svnToNumber } from './match/semver.js';

export type Svn = string | number;

/** Reason texts, byte-for-byte those of framework.rego (and of the spec for the header checks). */
export const SVN_REASON = {
  below: 'fragment svn is below the specified minimum',
  typeMismatch: 'fragment svn and the specified minimum are different types',
  headerMismatch: 'svn in header does not match svn in fragment',
  missing: 'missing fragment svn',
} as const;

export type SvnVerdict =
  | Readonly<{ ok: true; svn: Svn }>
  | Readonly<{ ok: false; code: SimErrorCode; reason: string; detail: Readonly<Record<string, unknown>> }>;

/** framework.rego `svn_mismatch`: a number on one side, a semver on the other. */
export function svnTypesDiffer(svn: Svn, minimumSvn: Svn): boolean {
  return (svnToNumber(svn) !== undefined && isSemver(minimumSvn))
    || (isSemver(svn) && svnToNumber(minimumSvn) !== undefined);
}

/** framework.rego `svn_ok`: svn >= minimum, as semver when both are semver, else as numbers. */
export function svnAtLeast(svn: Svn, minimumSvn: Svn): boolean {
  if (isSemver(svn) && isSemver(minimumSvn) && (compareSemver(svn, minimumSvn) ?? -1) >= 0) return true;
  const value = svnToNumber(svn);
  const minimum = svnToNumber(minimumSvn);
  return value !== undefined && minimum !== undefined && value >= minimum;
}

/** One SVN against the policy's minimum_svn: mismatch first, then the minimum. */
export function checkSvnAgainstMinimum(svn: Svn, minimumSvn: Svn): SvnVerdict {
  if (svnTypesDiffer(svn, minimumSvn)) {
    assert(!(isSemver(svn) && isSemver(minimumSvn)), 'two semvers never differ in type');
    return { ok: false, code: 'POLICY_FRAGMENT_SVN_TYPE', reason: SVN_REASON.typeMismatch, detail: { svn, minimumSvn } };
  }
  if (!svnAtLeast(svn, minimumSvn)) {
    return { ok: false, code: 'POLICY_FRAGMENT_SVN_TOO_LOW', reason: SVN_REASON.below, detail: { svn, minimumSvn } };
  }
  assert(svnAtLeast(svn, minimumSvn));
  return { ok: true, svn };
}

/** Whether the header SVN and the fragment's own `svn` name the same version. */
export function svnEqual(a: Svn, b: Svn): boolean {
  const x = svnToNumber(a);
  const y = svnToNumber(b);
  if (x !== undefined && y !== undefined) return x === y;
  if (isSemver(a) && isSemver(b)) return compareSemver(a, b) === 0;
  return a === b;
}

export type FragmentSvnInput = Readonly<{
  /** The svn of the signed envelope (CWT claims), if the envelope carries one. */
  headerSvn?: Svn | undefined;
  /** The fragment module's own `svn`, if it declares one. */
  fragmentSvn?: Svn | undefined;
  minimumSvn: Svn;
}>;

/**
 * load_fragment phase 1 (module not loaded yet): only the header SVN is known; with none, the
 * check waits for phase 2.
 */
export function checkHeaderSvn(headerSvn: Svn | undefined, minimumSvn: Svn): SvnVerdict {
  if (headerSvn === undefined) return { ok: true, svn: minimumSvn };
  const verdict = checkSvnAgainstMinimum(headerSvn, minimumSvn);
  if (verdict.ok) assert(verdict.svn === headerSvn);
  return verdict;
}

/**
 * load_fragment phase 2 (module loaded): the fragment must declare an svn; it must equal the
 * header svn when both exist; then it is compared with minimum_svn.
 */
export function checkFragmentSvn(input: FragmentSvnInput): SvnVerdict {
  const { headerSvn, fragmentSvn, minimumSvn } = input;
  if (fragmentSvn === undefined) {
    return { ok: false, code: 'POLICY_FRAGMENT_SVN_MISSING', reason: SVN_REASON.missing, detail: { minimumSvn } };
  }
  if (headerSvn !== undefined && !svnEqual(headerSvn, fragmentSvn)) {
    return {
      ok: false, code: 'POLICY_FRAGMENT_SVN_MISMATCH', reason: SVN_REASON.headerMismatch,
      detail: { headerSvn, fragmentSvn },
    };
  }
  const verdict = checkSvnAgainstMinimum(fragmentSvn, minimumSvn);
  if (verdict.ok) assert(verdict.svn === fragmentSvn, 'the fragment svn is the one judged');
  return verdict;
}

/**
 * Models: the fragment SVN rules of hcsshim pkg/securitypolicy/framework.rego (`svn_ok`,
 * `svn_mismatch` and the load_fragment errors), plus the header SVN of the 2025 signed envelope:
 * an SVN is a string or a number; it is compared as a number when Rego's `to_number` accepts both
 * sides, as semver (deprecated form) when both are valid semver strings; a number on one side and a
 * semver on the other is a type mismatch. See shared/spec/policy.md section (c), load_fragment.
 * Real counterpart: the Rego rules evaluated by OPA inside the GCS.
 * Differs: OPA's `to_number` is modelled for the values SVNs take (integers and decimal strings;
 * booleans and null are not numbers here); semver is SemVer 2.0.0 as OPA's `semver.is_valid`.
 * Invariants: the verdict is a value listing the one failing reason, with the framework's exact
 * reason text; a mismatch is reported as a mismatch, never as "below the minimum".
 */
import { assert } from '../../sim/kernel/assert.js';
import type { SimErrorCode } from '../../sim/kernel/errors.js';

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

// SemVer 2.0.0 section 2, 9, 10: MAJOR.MINOR.PATCH[-prerelease][+build], no leading zeros.
const SEMVER = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
// JSON number grammar, which is what OPA's to_number parses from a string.
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** Rego `to_number` on an SVN value: a finite number, or undefined where OPA would fail. */
export function svnToNumber(svn: unknown): number | undefined {
  if (typeof svn === 'number') return Number.isFinite(svn) ? svn : undefined;
  if (typeof svn !== 'string' || !DECIMAL.test(svn)) return undefined;
  const value = Number(svn);
  return Number.isFinite(value) ? value : undefined;
}

/** Rego `semver.is_valid`: only strings can be valid. */
export function isSemver(svn: unknown): svn is string {
  return typeof svn === 'string' && SEMVER.test(svn);
}

function prereleaseCompare(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1; // SemVer 11.3: a release outranks its pre-releases
  if (b === undefined) return -1;
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^[0-9]+$/.test(p);
    const qn = /^[0-9]+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) < Number(q) ? -1 : 1;
    if (pn !== qn) return pn ? -1 : 1; // SemVer 11.4.3: numeric identifiers rank lower
    if (!pn && p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** SemVer 2.0.0 section 11 precedence: negative, zero or positive. */
export function compareSemver(a: string, b: string): number {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  assert(x !== null && y !== null, 'compareSemver needs valid semver on both sides');
  for (let i = 1; i <= 3; i++) {
    const d = BigInt(x[i]!) - BigInt(y[i]!);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return prereleaseCompare(x[4], y[4]);
}

/** framework.rego `svn_mismatch`: a number on one side, a semver on the other. */
export function svnTypesDiffer(svn: Svn, minimumSvn: Svn): boolean {
  return (svnToNumber(svn) !== undefined && isSemver(minimumSvn))
    || (isSemver(svn) && svnToNumber(minimumSvn) !== undefined);
}

/** framework.rego `svn_ok`: svn >= minimum, as semver when both are semver, else as numbers. */
export function svnAtLeast(svn: Svn, minimumSvn: Svn): boolean {
  if (isSemver(svn) && isSemver(minimumSvn) && compareSemver(svn, minimumSvn) >= 0) return true;
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

/**
 * Models: framework.rego `anchor_pattern` + OPA `regex.match` (Go regexp = RE2 syntax, find
 * semantics) for env rules, user/group re2 rules, sandbox:// and hugepages:// mount sources, mount
 * targets and plan9 targets.
 * Real counterpart: OPA's regex.match with a per-query pattern cache.
 * Differs: RE2 via the re2js port. v0.14.1 anchored only env patterns; `anchored: false` gives its
 *   substring semantics.
 * Invariants: patterns are compiled once and match answers are memoised, both in the kernel memo
 *   (pure: same pattern, same automaton, same answer; `clearMemo()` changes no result);
 *   a pattern RE2 rejects (backreferences, lookaround) is a POLICY_BAD_REGEX, never a crash.
 */
import { RE2JS } from 're2js';
import { assert } from '../../../sim/kernel/assert.js';
import { SimError } from '../../../sim/kernel/errors.js';
import { MemoTable, memoTable } from '../../../sim/kernel/memo.js';

const PATTERNS_MAX = 10_000;

/**
 * framework.rego `anchor_pattern`: add `^` / `$` when missing. Like the original it concatenates,
 * so `a|b` becomes `^a|b$` and the alternation escapes the anchors (faithful, not a fix).
 */
export function anchorPattern(pattern: string): string {
  const start = pattern.startsWith('^');
  const end = pattern.endsWith('$');
  const anchored = `${start ? '' : '^'}${pattern}${end ? '' : '$'}`;
  assert(anchored.startsWith('^'));
  assert(anchored.endsWith('$'));
  return anchored;
}

const COMPILED = memoTable<RE2JS>('policy/re2-compiled', PATTERNS_MAX);

export function compileRe2(pattern: string): RE2JS {
  return COMPILED.get(pattern, () => {
    try {
      return RE2JS.compile(pattern);
    } catch (error) {
      // re2js refuses a pattern with its own exception classes (RE2JSSyntaxException, …).
      if (!(error instanceof Error) || !error.name.startsWith('RE2JS')) throw error;
      const message = error.message;
      throw new SimError('POLICY_BAD_REGEX', { pattern, error: message },
        `RE2 rejects pattern ${JSON.stringify(pattern)}: ${message}`);
    }
  });
}

/**
 * regex.match(anchor_pattern(pattern), value) when `anchored`, else regex.match(pattern, value).
 */
export function re2Match(pattern: string, value: string, anchored = true): boolean {
  const entry = entryFor(pattern, anchored);
  // Policies repeat the same rules across containers (confcom's default env rules), and a
  // create_container tries each rule on each env of each candidate: memoise the answers.
  return entry.answers.get(value, () => entry.compiled.matcher(value).find());
}

/** A memo entry per (pattern, anchoring): the automaton and its bounded table of answers. */
type PatternEntry = Readonly<{ compiled: RE2JS; answers: MemoTable<boolean> }>;
const ANSWERS_MAX = 10_000;

const ANCHORED = memoTable<PatternEntry>('policy/re2-anchored', PATTERNS_MAX);
const PLAIN = memoTable<PatternEntry>('policy/re2-plain', PATTERNS_MAX);

function entryFor(pattern: string, anchored: boolean): PatternEntry {
  return (anchored ? ANCHORED : PLAIN).get(pattern, () => ({
    compiled: compileRe2(anchored ? anchorPattern(pattern) : pattern),
    answers: new MemoTable<boolean>('policy/re2-answers', ANSWERS_MAX),
  }));
}

/** Throws POLICY_BAD_REGEX when RE2 cannot compile `pattern` (as anchored). For importers. */
export function checkRe2(pattern: string): void {
  compileRe2(anchorPattern(pattern));
}

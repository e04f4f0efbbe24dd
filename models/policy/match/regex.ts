/**
 * Models: framework.rego `anchor_pattern` + OPA `regex.match` (Go regexp = RE2 syntax, find
 * semantics) for env rules, user/group re2 rules, sandbox:// and hugepages:// mount sources, mount
 * targets and plan9 targets.
 * Real counterpart: OPA's regex.match with a per-query pattern cache.
 * Differs: RE2 via the re2js port. v0.14.1 anchored only env patterns; `anchored: false` gives its
 *   substring semantics.
 * Invariants: patterns are compiled once and cached, match answers are memoised (pure memos:
 *   same pattern, same automaton, same answer);
 *   a pattern RE2 rejects (backreferences, lookaround) is a POLICY_BAD_REGEX, never a crash.
 */
import { RE2JS } from 're2js';
import { assert } from '../../../sim/kernel/assert.js';
import { SimError } from '../../../sim/kernel/errors.js';

const CACHE_MAX = 10_000;
const cache = new Map<string, RE2JS>();

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

export function compileRe2(pattern: string): RE2JS {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SimError('POLICY_BAD_REGEX', { pattern, error: message },
      `RE2 rejects pattern ${JSON.stringify(pattern)}: ${message}`);
  }
  if (cache.size >= CACHE_MAX) cache.clear();   // bounded memo; clearing changes no result
  cache.set(pattern, compiled);
  return compiled;
}

/**
 * regex.match(anchor_pattern(pattern), value) when `anchored`, else regex.match(pattern, value).
 */
export function re2Match(pattern: string, value: string, anchored = true): boolean {
  const entry = entryFor(pattern, anchored);
  // Policies repeat the same rules across containers (confcom's default env rules), and a
  // create_container tries each rule on each env of each candidate: memoise the answers.
  const known = entry.answers.get(value);
  if (known !== undefined) return known;
  const found = entry.compiled.matcher(value).find();
  if (entry.answers.size >= ANSWERS_MAX) entry.answers.clear();   // bounded; changes no result
  entry.answers.set(value, found);
  return found;
}

type PatternEntry = { readonly compiled: RE2JS; readonly answers: Map<string, boolean> };
const ANSWERS_MAX = 10_000;
const anchoredEntries = new Map<string, PatternEntry>();
const plainEntries = new Map<string, PatternEntry>();

function entryFor(pattern: string, anchored: boolean): PatternEntry {
  const table = anchored ? anchoredEntries : plainEntries;
  const hit = table.get(pattern);
  if (hit !== undefined) return hit;
  const compiled = compileRe2(anchored ? anchorPattern(pattern) : pattern);
  const entry: PatternEntry = { compiled, answers: new Map() };
  if (table.size >= CACHE_MAX) table.clear();   // bounded memo; clearing changes no result
  table.set(pattern, entry);
  return entry;
}

/** Throws POLICY_BAD_REGEX when RE2 cannot compile `pattern` (as anchored). For importers. */
export function checkRe2(pattern: string): void {
  compileRe2(anchorPattern(pattern));
}

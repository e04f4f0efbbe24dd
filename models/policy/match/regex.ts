/**
 * Models: framework.rego `anchor_pattern` + OPA `regex.match` (Go regexp = RE2 syntax, find
 * semantics) for env rules, user/group re2 rules, sandbox:// and hugepages:// mount sources, mount
 * targets and plan9 targets.
 * Real counterpart: OPA's regex.match with a per-query pattern cache.
 * Differs: RE2 via the re2js port. v0.14.1 anchored only env patterns; `anchored: false` gives its
 *   substring semantics.
 * Invariants: patterns are compiled once and cached (a pure memo: same pattern, same automaton);
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
  const compiled = compileRe2(anchored ? anchorPattern(pattern) : pattern);
  return compiled.matcher(value).find();
}

/** Throws POLICY_BAD_REGEX when RE2 cannot compile `pattern` (as anchored). For importers. */
export function checkRe2(pattern: string): void {
  compileRe2(anchorPattern(pattern));
}

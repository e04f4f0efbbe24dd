/**
 * Models: framework.rego env matching: env_rule_ok (v0.14.1: env_ok), envList_ok,
 * valid_envs_subset, valid_envs_for_all (environment-variable dropping with the "undecidable" tie
 * rule), and the helpers behind `invalid env list: …` and `missing required environment
 * variable`.
 * Real counterpart: the same Rego rules, evaluated by OPA (HEAD and v0.14.1).
 * Differs: only the `{pattern, strategy, required}` rule form (the fw 0.5.0 name/value form is
 *   not in the policy model). re2 patterns are always anchored (v0.14.1 anchored env too).
 * Invariants: with dropping, the result is a subset of the request, deduplicated and sorted (a Rego
 *   set); `undefined` means the largest accepted subsets differ (undecidable → deny).
 */
import { assert } from '../../../sim/kernel/assert.js';
import type { EnvRule } from '../policy-model.js';
import type { DialectInfo } from '../dialect.js';
import { regoRegexMatch } from './rego-regex.js';

export type HasEnvRules = Readonly<{ env_rules: readonly EnvRule[] }>;

export function envRuleOk(rule: EnvRule, env: string): boolean {
  if (rule.strategy === 'string') return rule.pattern === env;
  assert(rule.strategy === 're2', 'env rule strategy is string or re2');
  return regoRegexMatch(rule.pattern, env, true);
}

function someRuleAccepts(rules: readonly EnvRule[], env: string): boolean {
  for (const rule of rules) if (envRuleOk(rule, env)) return true;
  return false;
}

/**
 * envList_ok. HEAD: every required rule is met by some env, and every env is accepted by some
 * rule. v0.14.1: every rule needs some env for which `rule_ok` holds (any env for a rule that is
 * not required, so an empty list fails any container with rules), and every env is accepted.
 */
export function envListOk(rules: readonly EnvRule[], envList: readonly string[],
    dialect: DialectInfo): boolean {
  if (dialect.envListOk === 'every-rule-needs-an-env' && rules.length > 0
      && envList.length === 0) {
    return false;
  }
  if (missingRequired(rules, envList)) return false;
  for (const env of envList) if (!someRuleAccepts(rules, env)) return false;
  return true;
}

/** Some required rule is met by no env of the list. */
export function missingRequired(rules: readonly EnvRule[], envList: readonly string[]): boolean {
  for (const rule of rules) {
    if (!rule.required) continue;
    if (!envList.some((env) => envRuleOk(rule, env))) return true;
  }
  return false;
}

/**
 * valid_envs_for_all: without dropping, the request as is. With dropping, each item's accepted
 * subset; the largest ones must all be equal, else undefined (undecidable).
 */
export function validEnvsForAll(items: readonly HasEnvRules[], envList: readonly string[],
    dropping: boolean): readonly string[] | undefined {
  assert(items.length > 0, 'env narrowing runs on a non-empty candidate list');
  if (!dropping) return envList;
  const unique = [...new Set(envList)].sort();
  let best: string[] | undefined;
  // Stryker disable next-line BooleanLiteral: the first item (there is one) always resets it
  let tie = false;
  for (const item of items) {
    const accepted = unique.filter((env) => someRuleAccepts(item.env_rules, env));
    if (best === undefined || accepted.length > best.length) { best = accepted; tie = false;
      continue; }
    if (accepted.length === best.length && !sameSortedList(accepted, best)) tie = true;
  }
  assert(best !== undefined);
  if (tie) return undefined;
  assert(best.length <= unique.length, 'dropping never adds envs');
  return best;
}

export function sameSortedList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/**
 * The `invalid env list: …` names: for each env of the request (in order, repeats kept, as the
 * Rego array comprehension keeps them) that no rule of any item accepts, the text before the
 * first `=`.
 */
export function invalidEnvNames(items: readonly HasEnvRules[],
    envList: readonly string[]): readonly string[] {
  const bad: string[] = [];
  for (const env of envList) {
    if (!items.some((item) => someRuleAccepts(item.env_rules, env))) bad.push(env.split('=')[0]!);
  }
  return bad;
}

/**
 * Models: the secure key release policy of Azure Key Vault / Managed HSM (the "policy grammar"
 *   page of both): `{version, anyOf: [{authority, allOf | anyOf: [{claim, equals}]}]}`. A key is
 *   released when the token's issuer is one of the authorities and that authority's conditions
 *   hold over the token's claims (spec attestation-services.md, "Secure key release").
 * Real counterpart: AKV's release-policy evaluator over a validated attestation token.
 * Differs: only the `equals` operator (AKV also has notEquals, less, greater, exists, ...);
 *   conditions nest one level (an authority's allOf or anyOf of claim conditions); `equals`
 *   compares JSON values strictly, type included (the string "false" does not equal the boolean
 *   false); a claim name is looked up as a top-level claim first, then as a dotted path into
 *   nested claims (`x-ms-runtime.nonce`); authorities compare after removing trailing slashes.
 * Invariants: a policy that parses has at least one authority, each with at least one condition,
 *   every condition a claim name and a string, number or boolean; evaluation names every failed
 *   condition with the claim, the expected and the actual value; a release is allowed only if
 *   some rule for the token's issuer has all of its conditions (allOf) or one of them (anyOf).
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { JsonObject } from './jwt.js';
import { failure, type VerifyFailure } from './verdict.js';

export type ClaimValue = string | number | boolean;
export type ClaimCondition = Readonly<{ claim: string; equals: ClaimValue }>;
export type AuthorityRule = Readonly<{
  authority: string; combine: 'allOf' | 'anyOf'; conditions: readonly ClaimCondition[];
}>;
export type ReleasePolicy = Readonly<{ version: string; anyOf: readonly AuthorityRule[] }>;

/** Bounds on a policy document: it is input from whoever imports the key. */
const MAX_RULES = 64;
const MAX_CONDITIONS = 64;

function bad(path: string, message: string): never {
  throw new SimError('VERIFY_BAD_RELEASE_POLICY', { path }, `release policy ${path}: ${message}`);
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseCondition(value: unknown, path: string): ClaimCondition {
  if (!isRecord(value)) bad(path, 'a condition is an object {claim, equals}');
  const { claim, equals } = value;
  const extra = Object.keys(value).filter((key) => key !== 'claim' && key !== 'equals');
  if (extra.length > 0) bad(path, `unsupported member(s) ${extra.join(', ')} (only equals)`);
  if (typeof claim !== 'string' || claim.length === 0) bad(`${path}.claim`, 'a non-empty string');
  const ok = typeof equals === 'string' || typeof equals === 'boolean' ||
    (typeof equals === 'number' && Number.isFinite(equals));
  if (!ok) bad(`${path}.equals`, 'a string, a finite number or a boolean');
  return Object.freeze({ claim, equals: equals as ClaimValue });
}

function parseRule(value: unknown, path: string): AuthorityRule {
  if (!isRecord(value)) bad(path, 'an authority rule is an object');
  if (typeof value['authority'] !== 'string' || value['authority'].length === 0) {
    bad(`${path}.authority`, 'a non-empty string (the token issuer)');
  }
  const combine = 'allOf' in value ? 'allOf' : 'anyOf' in value ? 'anyOf' : undefined;
  if (combine === undefined || ('allOf' in value && 'anyOf' in value)) {
    bad(path, 'an authority has exactly one of allOf or anyOf');
  }
  const list = value[combine];
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CONDITIONS) {
    bad(`${path}.${combine}`, `1 to ${MAX_CONDITIONS} conditions`);
  }
  const conditions = list.map((item, i) => parseCondition(item, `${path}.${combine}[${i}]`));
  return Object.freeze({ authority: value['authority'], combine,
    conditions: Object.freeze(conditions) });
}

/** Parses a release policy document (JSON value); SimError VERIFY_BAD_RELEASE_POLICY if not. */
export function parseReleasePolicy(document: unknown): ReleasePolicy {
  if (!isRecord(document)) bad('$', 'a policy is a JSON object');
  if (typeof document['version'] !== 'string') bad('$.version', 'a string such as "1.0.0"');
  const anyOf = document['anyOf'];
  if (!Array.isArray(anyOf) || anyOf.length === 0 || anyOf.length > MAX_RULES) {
    bad('$.anyOf', `1 to ${MAX_RULES} authority rules`);
  }
  const rules = anyOf.map((rule, i) => parseRule(rule, `$.anyOf[${i}]`));
  const policy: ReleasePolicy = Object.freeze({ version: document['version'],
    anyOf: Object.freeze(rules) });
  assert(policy.anyOf.length > 0 && policy.anyOf.every((r) => r.conditions.length > 0));
  return policy;
}

/** The policy as AKV shows it back (the JSON document shape). */
export function releasePolicyDocument(policy: ReleasePolicy): JsonObject {
  return {
    version: policy.version,
    anyOf: policy.anyOf.map((rule) => ({
      authority: rule.authority,
      [rule.combine]: rule.conditions.map((c) => ({ claim: c.claim, equals: c.equals })),
    })),
  };
}

export function normaliseAuthority(url: string): string {
  return url.replace(/\/+$/, '');
}

/** A claim by exact name, else by a dotted path into nested objects; undefined if absent. */
export function claimValue(claims: JsonObject, name: string): Json | undefined {
  if (Object.hasOwn(claims, name)) return claims[name];
  let node: Json | undefined = claims;
  for (const segment of name.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    const record = node as JsonObject;
    if (!Object.hasOwn(record, segment)) return undefined;
    node = record[segment];
  }
  return node;
}

function conditionFailure(rule: AuthorityRule, condition: ClaimCondition, claims: JsonObject):
  VerifyFailure | null {
  const actual = claimValue(claims, condition.claim);
  if (actual === condition.equals) return null;
  const shown = actual === undefined ? 'absent' : JSON.stringify(actual);
  return failure('VERIFY_RELEASE_POLICY',
    `${condition.claim} is ${shown}, the release policy requires ` +
    `${JSON.stringify(condition.equals)}`,
    { authority: rule.authority, claim: condition.claim, expected: condition.equals,
      actual: actual === undefined ? null : actual });
}

export type PolicyEvaluation =
  | Readonly<{ ok: true; authority: string }>
  | Readonly<{ ok: false; failures: readonly VerifyFailure[] }>;

/** Evaluates the policy for a token from `issuer` carrying `claims` (already validated). */
export function evaluateReleasePolicy(policy: ReleasePolicy, issuer: string, claims: JsonObject):
  PolicyEvaluation {
  const rules = policy.anyOf.filter(
    (rule) => normaliseAuthority(rule.authority) === normaliseAuthority(issuer));
  if (rules.length === 0) {
    return { ok: false, failures: [failure('VERIFY_TOKEN_ISSUER',
      `issuer ${issuer} is not an authority of the release policy`,
      { issuer, authorities: policy.anyOf.map((rule) => rule.authority) })] };
  }
  const failures: VerifyFailure[] = [];
  for (const rule of rules) {
    const failed = rule.conditions.map((c) => conditionFailure(rule, c, claims))
      .filter((f): f is VerifyFailure => f !== null);
    const passed = rule.combine === 'allOf' ? failed.length === 0
      : failed.length < rule.conditions.length;
    if (passed) return { ok: true, authority: rule.authority };
    failures.push(...failed);
  }
  assert(failures.length > 0, 'a refused release names what failed');
  return { ok: false, failures };
}

/**
 * Models: the typed reading of policy data values (hcsshim pkg/securitypolicy data model, spec
 * policy.md section b): objects, strings, booleans, string lists, integers, semvers.
 * Real counterpart: OPA evaluating `data.policy.<field>` (a wrong type there makes a rule
 * undefined,
 * hence a silent deny); Go's encoding/json for legacy JSON policies.
 * Differs: a wrong type is an import error with the field's line:column, not a silent deny.
 * Invariants: every reader returns the narrowed value or throws SimError('POLICY_PARSE') naming the
 * field path (`containers[1].env_rules[0].strategy`) and where it is written.
 */
import { compareSemver as compareOpaSemver } from './match/semver.js';
import { checkRe2 } from './match/regex.js';
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import { describeNode, type TextPosition, type ValueNode } from './policy-syntax.js';

export type ObjectNode = Extract<ValueNode, { kind: 'object' }>;

/** Throws the wrong-type error for `path`. */
export function wrongType(node: ValueNode, path: string, expected: string): never {
  throw new SimError('POLICY_PARSE',
    { line: node.pos.line, column: node.pos.column, field: path, expected, found: node.kind },
    `${node.pos.line}:${node.pos.column}: ${path} must be ${expected}, found `
      + `${describeNode(node)}`);
}

export function fieldError(pos: TextPosition, path: string, message: string, extra: Record<string,
    unknown> = {}): never {
  throw new SimError('POLICY_PARSE', { line: pos.line, column: pos.column, field: path, ...extra },
    `${pos.line}:${pos.column}: ${path}: ${message}`);
}

/**
 * A pattern the engine will match as RE2 must compile as RE2 (no backreferences, no lookaround):
 * the policy is rejected when it is imported, with the place it is written, not at the first
 * request that happens to reach the rule.
 */
export function checkRe2At(pos: TextPosition, path: string, pattern: string): void {
  try {
    checkRe2(pattern);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    const reason = error.message.replace(/^POLICY_BAD_REGEX: /, '');
    throw new SimError('POLICY_BAD_REGEX',
      { ...error.detail, line: pos.line, column: pos.column, field: path },
      `${pos.line}:${pos.column}: ${path}: ${reason}`);
  }
}

export function unsupported(pos: TextPosition, construct: string, message: string): never {
  throw new SimError('POLICY_UNSUPPORTED', { line: pos.line, column: pos.column, construct },
    `${pos.line}:${pos.column}: ${message}`);
}

export function readObject(node: ValueNode, path: string): ObjectNode {
  if (node.kind !== 'object') wrongType(node, path, 'an object');
  return node;
}

export function field(object: ObjectNode, key: string): ValueNode | undefined {
  for (const entry of object.entries) if (entry.key === key) return entry.value;
  return undefined;
}

export function requireField(object: ObjectNode, key: string, path: string): ValueNode {
  const value = field(object, key);
  if (value === undefined) fieldError(object.pos, path, `missing field "${key}"`, { missing: key });
  return value;
}

/** Rejects keys outside `known`; `unsupportedKeys` get POLICY_UNSUPPORTED with their reason. */
export function checkKeys(
  object: ObjectNode, path: string, known: readonly string[],
  unsupportedKeys: Readonly<Record<string, string>> = {},
): void {
  for (const entry of object.entries) {
    if (known.includes(entry.key)) continue;
    const reason = unsupportedKeys[entry.key];
    if (reason !== undefined) {
      unsupported(entry.keyPos, entry.key, `${path}.${entry.key} is not supported: ${reason}`);
    }
    fieldError(entry.keyPos, path, `unknown field "${entry.key}" (known: ${known.join(', ')})`,
      { unknown: entry.key });
  }
}

export function readString(node: ValueNode, path: string): string {
  if (node.kind !== 'string') wrongType(node, path, 'a string');
  return node.value;
}

export function readBoolean(node: ValueNode, path: string): boolean {
  if (node.kind !== 'boolean') wrongType(node, path, 'true or false');
  return node.value;
}

export function readArray(node: ValueNode, path: string): readonly ValueNode[] {
  if (node.kind !== 'array') wrongType(node, path, 'an array');
  return node.items;
}

export function readStringArray(node: ValueNode, path: string): string[] {
  const items = readArray(node, path);
  const out = items.map((item, i) => readString(item, `${path}[${i}]`));
  assert(out.length === items.length);
  return out;
}

/** A non-negative integer that JavaScript represents exactly. */
export function readNonNegativeInteger(node: ValueNode, path: string): number {
  if (node.kind !== 'number' || !Number.isSafeInteger(node.value) || node.value < 0) {
    wrongType(node, path, 'a non-negative integer');
  }
  return node.value;
}

export function readIntegerArray(node: ValueNode, path: string): number[] {
  const items = readArray(node, path);
  return items.map((item, i) => readNonNegativeInteger(item, `${path}[${i}]`));
}

/** One of `allowed`, as a string. */
export function readEnum<T extends string>(node: ValueNode, path: string,
    allowed: readonly T[]): T {
  const value = readString(node, path);
  if (!(allowed as readonly string[]).includes(value)) {
    fieldError(node.pos, path,
      `"${value}" is not one of ${allowed.map((a) => `"${a}"`).join(', ')}`, { value });
  }
  return value as T;
}

export type SemverParts = readonly [number, number, number];

const SEMVER = /^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$/;

/** Parses `major.minor.patch` (what api_version / framework_version hold); undefined if not one. */
export function parseSemver(text: string): SemverParts | undefined {
  const match = SEMVER.exec(text);
  if (match === null) return undefined;
  const parts = [Number(match[1]), Number(match[2]), Number(match[3])] as const;
  assert(parts.every((part) => Number.isSafeInteger(part) && part >= 0));
  return parts;
}

export function readSemver(node: ValueNode, path: string): string {
  const text = readString(node, path);
  if (parseSemver(text) === undefined) {
    fieldError(node.pos, path, `"${text}" is not a major.minor.patch version`, { value: text });
  }
  return text;
}

/** Negative, zero or positive as a < b, a = b, a > b. Both must be semvers (our own data). */
export function compareSemver(a: string, b: string): number {
  const order = compareOpaSemver(a, b);
  assert(order !== undefined, `compareSemver: not versions: ${a}, ${b}`);
  return order;
}

/**
 * Models: the ways an attestation backend fails a client, for testing the client's retry logic:
 *   AMD KDS answering 429 Too Many Requests with Retry-After under its per-IP limit (about one
 *   VCEK per 10 s), 503 Service Unavailable, added latency, a body cut off mid-transfer, and a
 *   chip whose served VCEK is not the key that signs its reports.
 * Real counterpart: kdsintf.amd.com and Azure's caches on a bad day.
 * Differs: failures are not caused by load or time: which request fails depends only on the
 *   fault seed, the route and the request's ordinal on that route (0, 1, 2, …), so a client's test
 *   replays exactly. Latency is virtual (reported in a header) unless `realDelay` is set.
 * Invariants: a decision is a pure function of (seed, route, ordinal); each fault kind draws from
 *   its own forked stream, so enabling one kind never moves another's schedule; probabilities are
 *   integer ratios; 429 wins over 503 when both are drawn.
 */
import { assert } from '../kernel/assert.js';
import { SimError } from '../kernel/errors.js';
import { canonicalSeed, ratio, Rng, type Ratio, type Seed } from '../kernel/rng.js';

/** How one route misbehaves. Ratios are "n/d" strings or {numerator, denominator}. */
export type FaultRule = Readonly<{
  /** Share of requests answered 429 Too Many Requests with Retry-After. */
  tooManyRequests?: string | Ratio;
  /** Share of requests answered 503 Service Unavailable with Retry-After. */
  serviceUnavailable?: string | Ratio;
  /** Retry-After seconds on 429/503 (default 10: AMD's KDS allows about one VCEK per 10 s). */
  retryAfterSeconds?: number;
  /** Added latency, uniform in [min, max] milliseconds (default none). */
  latencyMs?: readonly [number, number];
  /** Share of successful responses whose body is cut off before its end. */
  truncate?: string | Ratio;
}>;

export type FaultSpec = Readonly<{
  /** Seed of the fault schedule (default: the backend's seed). */
  seed?: Seed;
  /** Sleep for the drawn latency on real sockets (default false: latency is virtual). */
  realDelay?: boolean;
  /** Route id (`kds.vcek`, `kds.cert_chain`, `thim`, …, or `*` for every route) → rule. */
  routes?: Readonly<Record<string, FaultRule>>;
  /** Chips whose VCEK/VLEK is served for a key that does not sign their reports. */
  wrongCertificate?: readonly string[];
}>;

export type ResolvedRule = Readonly<{
  tooManyRequests: Ratio | undefined;
  serviceUnavailable: Ratio | undefined;
  retryAfterSeconds: number;
  latencyMs: readonly [number, number];
  truncate: Ratio | undefined;
}>;

export type ResolvedFaults = Readonly<{
  seed: string;
  realDelay: boolean;
  routes: Readonly<Record<string, ResolvedRule>>;
  wrongCertificate: readonly string[];
}>;

/** What happens to the request with this ordinal on this route. */
export type FaultDecision = Readonly<{
  route: string;
  ordinal: number;
  /** 429 or 503 instead of the real answer; undefined: answer normally. */
  status: 429 | 503 | undefined;
  retryAfterSeconds: number;
  latencyMs: number;
  /** Keep only this share (per mille, 0..999) of the body, then break the transfer. */
  truncatePermille: number | undefined;
}>;

export const DEFAULT_RETRY_AFTER_SECONDS = 10;
const MAX_LATENCY_MS = 60_000;

function faultError(path: string, message: string): SimError {
  return new SimError('SIM_USAGE', { config: path }, `config ${path}: ${message}`);
}

function ratioAt(value: unknown, path: string): Ratio | undefined {
  if (value === undefined) return undefined;
  let n: unknown;
  let d: unknown;
  if (typeof value === 'string') {
    const match = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(value);
    if (match === null) throw faultError(path, `'${value.slice(0, 20)}' is not a ratio n/d`);
    [n, d] = [Number(match[1]), Number(match[2])];
  } else if (typeof value === 'object' && value !== null) {
    n = (value as Record<string, unknown>)['numerator'];
    d = (value as Record<string, unknown>)['denominator'];
  }
  if (typeof n !== 'number' || typeof d !== 'number' || !Number.isSafeInteger(n)
    || !Number.isSafeInteger(d) || n < 0 || d <= 0 || n > d) {
    throw faultError(path, 'must be a ratio n/d with 0 <= n <= d and d > 0');
  }
  return ratio(n, d);
}

const RULE_KEYS = ['tooManyRequests', 'serviceUnavailable', 'retryAfterSeconds', 'latencyMs',
  'truncate'];

function resolveRule(value: unknown, path: string): ResolvedRule {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw faultError(path, 'must be an object');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!RULE_KEYS.includes(key)) throw faultError(`${path}.${key}`, 'unknown key');
  }
  const retry = record['retryAfterSeconds'] ?? DEFAULT_RETRY_AFTER_SECONDS;
  if (typeof retry !== 'number' || !Number.isInteger(retry) || retry < 0 || retry > 86_400) {
    throw faultError(`${path}.retryAfterSeconds`, 'must be an integer 0..86400');
  }
  const latency = record['latencyMs'] ?? [0, 0];
  if (!Array.isArray(latency) || latency.length !== 2
    || !latency.every((v) => Number.isInteger(v) && v >= 0 && v <= MAX_LATENCY_MS)
    || latency[0] > latency[1]) {
    throw faultError(`${path}.latencyMs`,
      `must be [min, max] with 0 <= min <= max <= ${MAX_LATENCY_MS}`);
  }
  return Object.freeze({
    tooManyRequests: ratioAt(record['tooManyRequests'], `${path}.tooManyRequests`),
    serviceUnavailable: ratioAt(record['serviceUnavailable'], `${path}.serviceUnavailable`),
    retryAfterSeconds: retry,
    latencyMs: Object.freeze([latency[0] as number, latency[1] as number] as const),
    truncate: ratioAt(record['truncate'], `${path}.truncate`),
  });
}

/** Validates a fault spec (JSON or library object); `chips` are the known chip names. */
export function parseFaultSpec(value: unknown, chips: readonly string[],
  defaultSeed: string): ResolvedFaults {
  if (value === undefined) {
    return Object.freeze({ seed: defaultSeed, realDelay: false, routes: {}, wrongCertificate: [] });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw faultError('faults', 'must be an object');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!['seed', 'realDelay', 'routes', 'wrongCertificate'].includes(key)) {
      throw faultError(`faults.${key}`, 'unknown key');
    }
  }
  const seedValue = record['seed'];
  if (seedValue !== undefined && typeof seedValue !== 'number' && typeof seedValue !== 'string') {
    throw faultError('faults.seed', 'must be a non-negative integer or a string');
  }
  const realDelay = record['realDelay'] ?? false;
  if (typeof realDelay !== 'boolean') throw faultError('faults.realDelay', 'must be a boolean');
  const routesValue = record['routes'] ?? {};
  if (typeof routesValue !== 'object' || routesValue === null || Array.isArray(routesValue)) {
    throw faultError('faults.routes', 'must be an object of route id → rule');
  }
  const routes: Record<string, ResolvedRule> = {};
  for (const [route, rule] of Object.entries(routesValue as Record<string, unknown>)) {
    if (!/^[a-z_.*]{1,40}$/.test(route)) throw faultError(`faults.routes.${route}`, 'bad route id');
    routes[route] = resolveRule(rule, `faults.routes.${route}`);
  }
  const wrong = record['wrongCertificate'] ?? [];
  if (!Array.isArray(wrong) || !wrong.every((name) => typeof name === 'string'
    && chips.includes(name))) {
    throw faultError('faults.wrongCertificate', `must list chip names (${chips.join(', ')})`);
  }
  return Object.freeze({
    seed: seedValue === undefined ? defaultSeed : canonicalSeed(seedValue), realDelay,
    routes: Object.freeze(routes), wrongCertificate: Object.freeze([...wrong] as string[]),
  });
}

/** The fault decision for the request with `ordinal` (0-based) on `route`. Pure. */
export function faultDecision(faults: ResolvedFaults, route: string,
  ordinal: number): FaultDecision {
  assert(Number.isSafeInteger(ordinal) && ordinal >= 0, 'ordinal is a count');
  const rule = faults.routes[route] ?? faults.routes['*'];
  if (rule === undefined) {
    return {
      route, ordinal, status: undefined, retryAfterSeconds: 0, latencyMs: 0,
      truncatePermille: undefined,
    };
  }
  const stream = Rng.fromSeed(faults.seed).fork('server-faults').fork(route).fork(`${ordinal}`);
  const draw = (kind: string, share: Ratio | undefined): boolean =>
    share !== undefined && stream.fork(kind).bool(share);
  const status = draw('429', rule.tooManyRequests) ? 429
    : draw('503', rule.serviceUnavailable) ? 503 : undefined;
  const [min, max] = rule.latencyMs;
  const latencyMs = min === max ? min : stream.fork('latency').int(min, max);
  const truncatePermille = status === undefined && draw('truncate', rule.truncate)
    ? stream.fork('truncate-at').int(0, 999) : undefined;
  assert(latencyMs >= min && latencyMs <= max);
  return { route, ordinal, status, retryAfterSeconds: rule.retryAfterSeconds, latencyMs,
    truncatePermille };
}

/** How many bytes of a body of `length` a truncated response keeps (always fewer than all). */
export function truncatedLength(length: number, permille: number): number {
  assert(Number.isInteger(permille) && permille >= 0 && permille < 1000);
  const kept = Math.floor((length * permille) / 1000);
  assert(length === 0 || kept < length, 'a truncated body loses at least one byte');
  return kept;
}

/**
 * Models: one HTTP exchange with the fake backend, independent of how the bytes arrived (a real
 *   socket or an in-process fetch): target → route → fault schedule → handler → reply.
 * Real counterpart: the request handling of KDS, IMDS and the sidecar, plus a flaky network.
 * Differs: no wall clock and no randomness: the reply depends only on the request, the
 *   configuration and the route's request count; latency is a number the adapters apply.
 * Invariants: a SimError becomes a 4xx in the route's style, anything else a 500 that names no
 *   internals; every request to a known route takes the next ordinal of that route, faulted or not;
 *   a fault 429/503 is decided before the request is parsed (as a rate limiter would).
 */
import { assert } from '../kernel/assert.js';
import { SimError } from '../kernel/errors.js';
import type { FakeSnpBackend } from './backend.js';
import { faultDecision, truncatedLength, type FaultDecision } from './faults.js';
import { errorReply, faultReply, textReply, type BodyStyle, type Reply } from './http-status.js';
import { matchRoute, ROUTES, type RouteMatch } from './routes.js';

/** Bodies larger than this are refused with 413 (the sidecar's are a few hundred bytes). */
export const MAX_BODY_BYTES = 1 << 20;

export type SimRequest = Readonly<{
  method: string;
  /** The request target: origin-form `/path?query` (absolute-form is accepted too). */
  target: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
  /** The adapter stopped reading because the body passed MAX_BODY_BYTES. */
  bodyTooLarge: boolean;
}>;

export type Handled = Readonly<{
  reply: Reply;
  /** Route id and this request's ordinal on it; undefined when no route matched. */
  route: string | undefined;
  ordinal: number | undefined;
  fault: FaultDecision | undefined;
}>;

export type Counters = Map<string, number>;

type Target = Readonly<{ segments: readonly string[]; pathAndQuery: string }>;

function parseTarget(target: string): Target {
  let url: URL;
  try {
    url = new URL(target, 'http://parma-sim.invalid');
  } catch {
    throw new SimError('SIM_BAD_REQUEST', { target: target.slice(0, 200) }, 'unparsable target');
  }
  const raw = url.pathname.split('/').slice(1);
  try {
    return { segments: raw.map((segment) => decodeURIComponent(segment)),
      pathAndQuery: `${url.pathname}${url.search}` };
  } catch {
    throw new SimError('SIM_BAD_REQUEST', { path: url.pathname.slice(0, 200) },
      'bad percent-encoding in the path');
  }
}

/** The body style of whatever answers this path (text when nothing does). */
function styleOf(segments: readonly string[]): BodyStyle {
  const route = ROUTES.find((r) => r.pattern.length === segments.length
    && r.pattern.every((p, i) => p.startsWith('{') || p === segments[i]));
  return route?.style ?? 'text';
}

function internalError(): Reply {
  return textReply(500, 'internal error in parma-sim (a bug: please report the request)');
}

/** Handles one request. Never throws. */
export function handleRequest(backend: FakeSnpBackend, counters: Counters,
  request: SimRequest): Handled {
  let target: Target = { segments: [], pathAndQuery: '/' };
  let match: RouteMatch;
  try {
    target = parseTarget(request.target);
    match = matchRoute(request.method, target.segments);
  } catch (error) {
    const reply = error instanceof SimError
      ? errorReply(error, styleOf(target.segments)) : internalError();
    return { reply, route: undefined, ordinal: undefined, fault: undefined };
  }
  const { route, params } = match;
  const ordinal = counters.get(route.id) ?? 0;
  counters.set(route.id, ordinal + 1);
  const fault = faultDecision(backend.config.faults, route.id, ordinal);
  if (fault.status !== undefined) {
    return { reply: faultReply(fault.status, fault.retryAfterSeconds, route.style),
      route: route.id, ordinal, fault };
  }
  let reply: Reply;
  try {
    if (request.bodyTooLarge) {
      throw new SimError('SIM_PAYLOAD_TOO_LARGE', { limitBytes: MAX_BODY_BYTES },
        `request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    reply = route.handle(backend, {
      params, headers: request.headers, body: request.body,
      pathAndQuery: target.pathAndQuery,
    });
  } catch (error) {
    reply = error instanceof SimError ? errorReply(error, route.style) : internalError();
  }
  assert(counters.get(route.id) === ordinal + 1, 'one ordinal per request');
  return { reply, route: route.id, ordinal, fault };
}

/** One log line (no wall-clock time: the same requests give the same log). */
export function logLine(request: SimRequest, handled: Handled, realDelay: boolean): string {
  const target = request.target.replace(/[^\x21-\x7e]/g, '?');
  const parts = [
    request.method.replace(/[^A-Za-z]/g, '?').slice(0, 16),
    target.length > 160 ? `${target.slice(0, 160)}…` : target,
    `${handled.reply.status}`, `${handled.reply.body.length}B`,
  ];
  if (handled.route !== undefined) parts.push(`route=${handled.route}#${handled.ordinal}`);
  const fault = handled.fault;
  if (fault !== undefined && fault.status !== undefined) {
    parts.push(`fault=${fault.status} retry-after=${fault.retryAfterSeconds}`);
  }
  if (fault !== undefined && fault.latencyMs > 0) {
    parts.push(`latency=${fault.latencyMs}ms${realDelay ? '' : '(virtual)'}`);
  }
  if (fault?.truncatePermille !== undefined && handled.reply.status < 300) {
    parts.push(`truncated@${fault.truncatePermille}‰`);
  }
  return parts.join(' ');
}

/** The reply's headers plus parma-sim's own: route, ordinal and (virtual) latency. */
export function responseHeaders(handled: Handled): Readonly<Record<string, string>> {
  const headers: Record<string, string> = { ...handled.reply.headers };
  if (handled.route !== undefined) {
    headers['x-parma-sim-route'] = handled.route;
    headers['x-parma-sim-ordinal'] = `${handled.ordinal}`;
  }
  if (handled.fault !== undefined && handled.fault.latencyMs > 0) {
    headers['x-parma-sim-latency-ms'] = `${handled.fault.latencyMs}`;
  }
  assert(!('content-length' in handled.reply.headers), 'adapters set the length');
  return headers;
}

/** Bytes of the body actually sent: all of it, or the truncated prefix the fault chose. */
export function bodyToSend(handled: Handled): Readonly<{ bytes: Uint8Array; truncated: boolean }> {
  const permille = handled.fault?.truncatePermille;
  const { body, status } = handled.reply;
  if (permille === undefined || status >= 300 || body.length === 0) {
    return { bytes: body, truncated: false };
  }
  const kept = truncatedLength(body.length, permille);
  return { bytes: body.subarray(0, kept), truncated: true };
}

/**
 * Models: the HTTP surface of the fake SNP backend: one table of routes, each parsing its request,
 *   making one backend call and rendering the answer in its service's shape.
 * Real counterpart: AMD KDS (spec snp.md e.1), Azure IMDS THIM and the ACC cache (e.5), and the
 *   confidential sidecar's HTTP API (attestation-services.md).
 * Differs: all services share one origin; the token service's and key vault's rows (and the
 *   sidecar's `/attest/maa`, `/key/release`) are in attestation-routes.ts.
 * Invariants: the first row whose method and path pattern match wins, so literal rows precede the
 *   `{hwid}` row; a path that matches a row under another method is 405 with Allow; handlers throw
 *   SimError for bad input and never see a body over the size limit.
 */
import { assert } from '../kernel/assert.js';
import { fromHex } from '../kernel/bytes.js';
import { SimError } from '../kernel/errors.js';
import { parseKdsUrl } from '../../models/snp/kds.js';
import type { FakeSnpBackend } from './backend.js';
import { attestationRoutes } from './attestation-routes.js';
import { bytesReply, jsonReply, textReply, type BodyStyle, type Reply } from './http-status.js';
import { badRequest, jsonObjectOf, runtimeDataOf } from './request-body.js';

export type RouteInput = Readonly<{
  params: Readonly<Record<string, string>>;
  /** Path and query as the client sent them (for parsers that take a whole KDS URL). */
  pathAndQuery: string;
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
}>;

export type Route = Readonly<{
  /** Names the route in logs and fault rules; rows of one service call share it. */
  id: string;
  method: 'GET' | 'POST';
  /** Path segments; `{name}` captures one segment. */
  pattern: readonly string[];
  style: BodyStyle;
  handle: (backend: FakeSnpBackend, input: RouteInput) => Reply;
}>;

function kdsRoute(pattern: readonly string[], id: string): Route {
  return {
    id, method: 'GET', pattern, style: 'text',
    handle: (backend, input) => {
      const artifact = backend.kdsArtifact(parseKdsUrl(input.pathAndQuery));
      return bytesReply(artifact.contentType, artifact.body);
    },
  };
}

const IMDS_METADATA_ERROR = 'Bad request. Required metadata header not specified';

function thimRoute(): Route {
  return {
    id: 'thim', method: 'GET', pattern: ['metadata', 'THIM', 'amd', 'certification'],
    style: 'json',
    handle: (backend, input) => {
      if (input.headers['metadata']?.toLowerCase() !== 'true') {
        throw badRequest(IMDS_METADATA_ERROR);
      }
      return jsonReply(200, backend.thim());
    },
  };
}

function accRoute(): Route {
  return {
    id: 'acc', method: 'GET', pattern: ['SevSnpVM', 'certificates', '{chipId}', '{tcbm}'],
    style: 'text',
    handle: (backend, input) => {
      const chipText = input.params['chipId']!;
      const tcbText = input.params['tcbm']!;
      if (!/^[0-9a-fA-F]{128}$/.test(chipText)) throw badRequest('chip id must be 128 hex digits');
      if (!/^[0-9a-fA-F]{1,16}$/.test(tcbText)) throw badRequest('tcbm must be 1..16 hex digits');
      const pem = backend.accCertificates(fromHex(chipText), BigInt(`0x${tcbText}`));
      return textReply(200, pem, { 'content-type': 'application/x-pem-file' });
    },
  };
}

function sidecarRoutes(): readonly Route[] {
  return [
    { id: 'sidecar.status', method: 'GET', pattern: ['status'], style: 'json',
      handle: (backend) => jsonReply(200, backend.sidecarStatus()) },
    { id: 'attest.raw', method: 'POST', pattern: ['attest', 'raw'], style: 'json',
      handle: (backend, input) =>
        jsonReply(200, backend.attestRaw(runtimeDataOf(jsonObjectOf(input.body)))) },
    { id: 'attest.combined', method: 'POST', pattern: ['attest', 'combined'], style: 'json',
      handle: (backend, input) =>
        jsonReply(200, backend.attestCombined(runtimeDataOf(jsonObjectOf(input.body)))) },
  ];
}

/** Every route, in matching order. */
export const ROUTES: readonly Route[] = Object.freeze([
  kdsRoute(['vcek', 'v1', '{product}', 'cert_chain'], 'kds.cert_chain'),
  kdsRoute(['vlek', 'v1', '{product}', 'cert_chain'], 'kds.cert_chain'),
  kdsRoute(['vcek', 'v1', '{product}', 'crl'], 'kds.crl'),
  kdsRoute(['vlek', 'v1', '{product}', 'crl'], 'kds.crl'),
  kdsRoute(['vcek', 'v1', '{product}', '{hwid}'], 'kds.vcek'),
  thimRoute(),
  accRoute(),
  ...sidecarRoutes(),
  ...attestationRoutes(),
]);

/** The route ids a fault rule may name. */
export const ROUTE_IDS: readonly string[] = [...new Set(ROUTES.map((r) => r.id))];

export type RouteMatch = Readonly<{ route: Route; params: Readonly<Record<string, string>> }>;

function matchPattern(pattern: readonly string[],
  segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i]!;
    if (want.startsWith('{')) params[want.slice(1, -1)] = got;
    else if (want !== got) return undefined;
  }
  return params;
}

/** Path segments (percent-decoded) → the route, or SIM_NOT_FOUND / SIM_METHOD_NOT_ALLOWED. */
export function matchRoute(method: string, segments: readonly string[]): RouteMatch {
  const effective = method === 'HEAD' ? 'GET' : method;
  const allowed = new Set<string>();
  for (const route of ROUTES) {
    const params = matchPattern(route.pattern, segments);
    if (params === undefined) continue;
    if (route.method === effective) return { route, params };
    allowed.add(route.method);
    if (route.method === 'GET') allowed.add('HEAD');
  }
  if (allowed.size > 0) {
    const allow = [...allowed].sort().join(', ');
    throw new SimError('SIM_METHOD_NOT_ALLOWED', { method: method.slice(0, 16), allow },
      `method ${method.slice(0, 16)} is not allowed here (allow: ${allow})`);
  }
  assert(allowed.size === 0);
  throw new SimError('SIM_NOT_FOUND', { path: `/${segments.join('/')}`.slice(0, 200) },
    'no such route');
}

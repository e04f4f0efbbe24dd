/**
 * Models: the fake SNP backend as a library object and an HTTP server (node:http): AMD KDS, Azure
 *   THIM / ACC, the confidential sidecar's attestation and key-release routes, an MAA-style token
 *   service and an AKV-style key vault, for a fleet of simulated chips.
 * Real counterpart: kdsintf.amd.com, Azure IMDS, the SKR sidecar, MAA and AKV (spec snp.md
 *   e.1–e.5, attestation-services.md).
 * Differs: plain HTTP on loopback by default; all keys are TEST-ONLY. This file is the only place
 *   with sockets and timers: they move bytes and (with `faults.realDelay`) sleep, and never decide
 *   a response — that is sim/server/handle.ts, a pure function of request, seed and count.
 * Invariants: one request → one handled exchange → one log line; a malformed request gets a 4xx
 *   and the server keeps serving; close() stops accepting, lets in-flight requests finish, and
 *   drops idle keep-alive connections.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assert } from './kernel/assert.js';
import { SimError } from './kernel/errors.js';
import type { Product } from '../models/snp/product.js';
import type { Jwks } from '../models/verifier/jwt.js';
import {
  createFakeSnpBackend, type ChipCertificates, type ChipInfo, type DerivedKeyOptions,
  type FakeSnpBackend, type ReportOptions,
} from './server/backend.js';
import type { FakeSnpOptions } from './server/config.js';
import { faultDecision, type FaultDecision } from './server/faults.js';
import { createFetchHandler, type FetchHandler, type Sleep } from './server/fetch-handler.js';
import {
  bodyToSend, handleRequest, logLine, MAX_BODY_BYTES, responseHeaders, type Counters,
  type SimRequest,
} from './server/handle.js';

export type ListenOptions = Readonly<{
  /** Interface to bind (default 127.0.0.1: loopback only). */
  host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Called with one line per request (default: no logging). */
  log?: (line: string) => void;
}>;

export type TokenOptions = Readonly<{
  /** The runtime data: a JSON object document (bytes or text) whose SHA-256 is REPORT_DATA
   *  (default `{}`); the token carries it as `x-ms-runtime`. */
  runtimeData?: Uint8Array | string;
  /** The MAA instance, a host name (default: the configured `tokenService.endpoint`). */
  maaEndpoint?: string;
}>;

export type ReleaseKeyOptions = Readonly<{
  /** The key's name, or `name/version` (default: the vault's first key). */
  kid?: string;
  /** The MAA instance whose token is presented (default: the configured one). */
  maaEndpoint?: string;
  /** The vault, a host name (default: the configured `keyVault.endpoint`). */
  akvEndpoint?: string;
}>;

/** A released symmetric key as the sidecar returns it: an RFC 7517 `oct` JWK. */
export type ReleasedKey = Readonly<{ kty: 'oct'; k: string }>;

/** Where the fake's attestation services are, as a client configures them. */
export type AttestationEndpoints = Readonly<{
  /** The default MAA instance (the sidecar's `maa_endpoint`). */
  maaEndpoint: string;
  /** Its token issuer (`iss`), `https://` + maaEndpoint. */
  issuer: string;
  /** The key vault (the sidecar's `akv_endpoint`). */
  akvEndpoint: string;
  /** The vault's key names (the sidecar's `kid`). */
  keyNames: readonly string[];
}>;

export type RunningFakeSnp = Readonly<{
  /** `http://host:port`, no trailing slash. */
  url: string;
  host: string;
  port: number;
  /** Stops accepting, waits for in-flight requests, closes keep-alive connections. */
  close: () => Promise<void>;
}>;

/** The fake SNP backend: a simulated fleet of SEV-SNP hosts and the services around them. */
export type FakeSnp = Readonly<{
  /** The seed everything derives from (canonical text). */
  seed: string;
  /** The served chips: name, product, CHIP_ID, KDS hwid, REPORTED_TCB, signing key. */
  chips: readonly ChipInfo[];
  /** A signed ATTESTATION_REPORT from the guest on a chip (default: the guest's chip). */
  report: (options?: ReportOptions) => Uint8Array;
  /** The report plus the host's certificate table (SNP_GET_EXT_REPORT; configfs-tsm auxblob). */
  extendedReport: (options?: ReportOptions) =>
    Readonly<{ report: Uint8Array; certTable: Uint8Array }>;
  /** MSG_KEY_REQ: a 32-byte key derived for the guest. */
  derivedKey: (options?: DerivedKeyOptions) => Uint8Array;
  /** A chip's genuine certificates (the `wrongCertificate` fault changes only what is served). */
  certs: (options?: Readonly<{ chip?: string }>) => ChipCertificates;
  /** The test ARK (DER) of each product: pin these as trust anchors. */
  testArks: () => Readonly<Record<Product, Uint8Array>>;
  /**
   * An MAA token for the guest, as the sidecar's `/attest/maa` gets it (report with REPORT_DATA =
   * SHA-256(runtime data), the chip's genuine VCEK chain, the token service). Throws SimError
   * with a VERIFY_* code (all failures in `detail.failures`) if the token service refuses.
   */
  token: (options?: TokenOptions) => string;
  /**
   * A key released by the vault, as the sidecar's `/key/release` returns it: the sidecar attests
   * with its wrapping key in the runtime data, presents the token, unwraps the released key.
   * Throws SimError (VERIFY_RELEASE_POLICY naming the claim, VERIFY_KEY_RELEASE, …) if refused.
   */
  releaseKey: (options?: ReleaseKeyOptions) => ReleasedKey;
  /** The token service's JWK set (what `GET /certs` serves): pin it to verify tokens. */
  jwks: () => Jwks;
  /** The token service's and the vault's endpoints and the vault's key names. */
  attestationEndpoints: AttestationEndpoints;
  /** What the fault schedule does to the request with `ordinal` (0-based) on `route`. */
  faultSchedule: (route: string, ordinal: number) => FaultDecision;
  /**
   * Every route (KDS, THIM, ACC, sidecar, MAA, AKV) as a fetch handler: mount it in place of
   * `fetch`; no socket is opened. It shares the per-route request counts with `listen()`.
   */
  kds: FetchHandler;
  /** Serves the same routes over HTTP. */
  listen: (options?: ListenOptions) => Promise<RunningFakeSnp>;
  /** The backend behind it all (the routes' calls), for tools built on top. */
  backend: FakeSnpBackend;
}>;

const sleep: Sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * Builds the fake backend from options (see FakeSnpOptions): `createFakeSnp({ seed: 7 })` serves a
 * Milan, a Genoa and a Turin chip. Throws SimError SIM_USAGE naming the bad option.
 */
export function createFakeSnp(options: FakeSnpOptions = {}): FakeSnp {
  const backend = createFakeSnpBackend(options);
  const { attestation } = backend;
  const counters: Counters = new Map();
  const realDelay = backend.config.faults.realDelay;
  const fake: FakeSnp = Object.freeze({
    seed: backend.seed,
    chips: backend.chips(),
    report: backend.report,
    extendedReport: backend.extendedReport,
    derivedKey: backend.derivedKey,
    certs: backend.certs,
    testArks: backend.testArks,
    token: (tokenOptions: TokenOptions = {}) => attestation.attestMaa(
      tokenOptions.maaEndpoint ?? attestation.maaEndpoint,
      typeof tokenOptions.runtimeData === 'string'
        ? new TextEncoder().encode(tokenOptions.runtimeData)
        : tokenOptions.runtimeData ?? new TextEncoder().encode('{}'), false),
    releaseKey: (releaseOptions: ReleaseKeyOptions = {}) => {
      const jwk = attestation.sidecarKeyRelease({
        maaEndpoint: releaseOptions.maaEndpoint ?? attestation.maaEndpoint,
        akvEndpoint: releaseOptions.akvEndpoint ?? attestation.akvEndpoint,
        kid: releaseOptions.kid ?? attestation.keyNames()[0] ?? '',
      }, false);
      return Object.freeze({ kty: 'oct' as const, k: String(jwk['k']) });
    },
    jwks: attestation.jwks,
    attestationEndpoints: Object.freeze({ maaEndpoint: attestation.maaEndpoint,
      issuer: attestation.issuer, akvEndpoint: attestation.akvEndpoint,
      keyNames: Object.freeze([...attestation.keyNames()]) }),
    faultSchedule: (route: string, ordinal: number) =>
      faultDecision(backend.config.faults, route, ordinal),
    kds: createFetchHandler(backend, counters, realDelay ? { sleep } : {}),
    listen: (listenOptions: ListenOptions = {}) => listen(backend, counters, listenOptions),
    backend,
  });
  assert(fake.chips.length > 0);
  return fake;
}

/** Reads a request body up to the limit; past it, drains (bounded) and reports tooLarge. */
function readBody(req: IncomingMessage):
  Promise<Readonly<{ body: Uint8Array; tooLarge: boolean }>> {
  const drainLimit = 64 * MAX_BODY_BYTES;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (total > drainLimit) req.destroy();
    });
    req.on('end', () => {
      const tooLarge = total > MAX_BODY_BYTES;
      resolve({ body: tooLarge ? new Uint8Array(0) : new Uint8Array(Buffer.concat(chunks)),
        tooLarge });
    });
    req.on('error', reject);
  });
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function serveOne(backend: FakeSnpBackend, counters: Counters, req: IncomingMessage,
  res: ServerResponse, options: ListenOptions): Promise<void> {
  const { body, tooLarge } = await readBody(req);
  const request: SimRequest = { method: req.method ?? 'GET', target: req.url ?? '/',
    headers: headersOf(req), body, bodyTooLarge: tooLarge };
  const handled = handleRequest(backend, counters, request);
  const realDelay = backend.config.faults.realDelay;
  options.log?.(logLine(request, handled, realDelay));
  const latency = handled.fault?.latencyMs ?? 0;
  if (realDelay && latency > 0) await sleep(latency);
  const { bytes, truncated } = bodyToSend(handled);
  res.sendDate = false; // a Date header would put the wall clock into the response
  res.writeHead(handled.reply.status, {
    ...responseHeaders(handled), 'content-length': `${handled.reply.body.length}`,
    ...(tooLarge ? { connection: 'close' } : {}),
  });
  if (!truncated) {
    res.end(bytes);
    return;
  }
  // The fault: announce the whole length, send a prefix, then close the connection.
  if (bytes.length > 0) res.write(bytes);
  else res.flushHeaders();
  res.socket?.end();
}

const BAD_REQUEST_BODY = 'SIM_BAD_REQUEST: malformed HTTP/1.1 request\n';
const BAD_REQUEST_RAW = 'HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n'
  + `connection: close\r\ncontent-length: ${BAD_REQUEST_BODY.length}\r\n\r\n${BAD_REQUEST_BODY}`;

function listen(backend: FakeSnpBackend, counters: Counters,
  options: ListenOptions): Promise<RunningFakeSnp> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    serveOne(backend, counters, req, res, options).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      }
      res.end('internal error in parma-sim\n');
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end(BAD_REQUEST_RAW);
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    const refused = (error: Error): void => {
      const reason = 'code' in error && typeof error.code === 'string' ? error.code : error.message;
      reject(new SimError('SIM_IO', { host, port: options.port ?? 0, reason },
        `cannot listen on ${host}:${options.port ?? 0}: ${reason}`));
    };
    server.once('error', refused);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', refused);
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(Object.freeze({
        url: `http://${shown}:${address.port}`, host: address.address, port: address.port,
        close: () => closeServer(server),
      }));
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), 2_000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

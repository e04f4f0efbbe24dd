/**
 * Models: the fake backend as a fetch-compatible handler `(Request) => Promise<Response>`, so a
 *   test can mount it where a client calls `fetch` (KDS, THIM, the sidecar) with no socket.
 * Real counterpart: the same services reached over HTTP.
 * Differs: a truncated body is a response stream that errors after the kept bytes (what a client
 *   sees when the connection drops mid-body); latency is slept only through the injected `sleep`
 *   (sim/server.ts supplies it when `realDelay` is set), otherwise it is reported in a header.
 * Invariants: the request body is read at most to MAX_BODY_BYTES + one chunk; the handler never
 *   rejects for a bad request (it answers 4xx).
 */
import { assert } from '../kernel/assert.js';
import type { FakeSnpBackend } from './backend.js';
import {
  bodyToSend, handleRequest, logLine, MAX_BODY_BYTES, responseHeaders, type Counters, type Handled,
  type SimRequest,
} from './handle.js';

export type Sleep = (ms: number) => Promise<void>;

export type FetchHandler = (request: Request) => Promise<Response>;

async function readLimited(stream: ReadableStream<Uint8Array> | null):
  Promise<Readonly<{ body: Uint8Array; tooLarge: boolean }>> {
  if (stream === null) return { body: new Uint8Array(0), tooLarge: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      return { body: new Uint8Array(0), tooLarge: true };
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  assert(offset === total);
  return { body, tooLarge: false };
}

/** A Request → the transport-free request the backend handles. */
export async function simRequestOf(request: Request): Promise<SimRequest> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => { headers[name.toLowerCase()] = value; });
  const { body, tooLarge } = await readLimited(request.body);
  return { method: request.method, target: `${url.pathname}${url.search}`, headers, body,
    bodyTooLarge: tooLarge };
}

/** A handled exchange → a Response; a truncated one errors mid-body like a dropped connection. */
export function responseOf(handled: Handled, method: string): Response {
  const headers = new Headers(responseHeaders(handled));
  const { bytes, truncated } = bodyToSend(handled);
  headers.set('content-length', `${handled.reply.body.length}`);
  const init = { status: handled.reply.status, headers };
  if (method === 'HEAD') return new Response(null, init);
  if (!truncated) return new Response(bytes.slice(), init);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes.slice());
      controller.error(new TypeError('terminated: parma-sim fault cut the body short'));
    },
  });
  return new Response(stream, init);
}

/** The fetch handler over a backend; `counters` are the per-route request counts it shares. */
export function createFetchHandler(backend: FakeSnpBackend, counters: Counters,
  options: Readonly<{ sleep?: Sleep; log?: (line: string) => void }> = {}): FetchHandler {
  return async (request: Request): Promise<Response> => {
    const simRequest = await simRequestOf(request);
    const handled = handleRequest(backend, counters, simRequest);
    options.log?.(logLine(simRequest, handled, options.sleep !== undefined));
    const latency = handled.fault?.latencyMs ?? 0;
    if (latency > 0 && options.sleep !== undefined) await options.sleep(latency);
    return responseOf(handled, request.method);
  };
}

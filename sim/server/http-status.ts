/**
 * Models: how each backend answers a refused request: the HTTP status for every SimError (the one
 *   table, STYLE rule 10) and the body shape of each route family.
 * Real counterpart: AMD KDS answers errors with a status and a short text body; Azure IMDS (THIM)
 *   and the confidential sidecar answer JSON `{"error": "…"}` (the sidecar: 400 for a malformed
 *   request, 403 when attestation or key release fails); MAA and AKV answer Azure's REST error
 *   `{"error": {"code", "message"}}`.
 * Differs: [uncertain] AMD does not document KDS error statuses; we answer 400 for a malformed
 *   hwid or SPL, 404 for an unknown product, route or chip, as clients report seeing. Every
 *   body also names the stable SimError code (Azure bodies carry it as `error.code`, where Azure
 *   has codes of its own such as InvalidParameter), and a refused attestation or release lists
 *   every failed check. A wrong method gets 405 with Allow everywhere (the sidecar's gin router
 *   would say 404). A malformed token-service request (evidence, runtime data, a token) is 400.
 * Invariants: a SimError never becomes a 5xx; only our own bug (a non-SimError) is a 500.
 */
import { assert } from '../kernel/assert.js';
import { SimError, type ErrorArea, type SimErrorCode } from '../kernel/errors.js';

/** Status by error code, then by area when the code has no entry of its own. */
const HTTP_STATUS: Readonly<Partial<Record<SimErrorCode | ErrorArea, number>>> = {
  SIM_BAD_REQUEST: 400,
  SIM_NOT_FOUND: 404,
  SIM_METHOD_NOT_ALLOWED: 405,
  SIM_PAYLOAD_TOO_LARGE: 413,
  SIM_LIMIT_EXCEEDED: 413,
  SNP_BAD_PRODUCT: 404,
  SNP_FIRMWARE_STATUS: 403,
  VERIFY_BAD_EVIDENCE: 400,
  VERIFY_RUNTIME_DATA: 400,
  VERIFY_BAD_TOKEN: 400,
  SNP: 400,
  HV: 400,
  HOST: 400,
  GUEST: 400,
  POLICY: 400,
  VERIFY: 403,
  SIM: 400,
};

export function httpStatusFor(error: SimError): number {
  const status = HTTP_STATUS[error.code] ?? HTTP_STATUS[error.area];
  assert(status !== undefined, 'every area has a status');
  assert(status >= 400 && status < 500, 'a refused request is a 4xx');
  return status;
}

/**
 * Which body shape a route family answers in: KDS text, the sidecar's and IMDS's `{error}` JSON,
 * or Azure's REST error `{error: {code, message, details?}}` (MAA, AKV).
 */
export type BodyStyle = 'text' | 'json' | 'azure';

export type Reply = Readonly<{
  status: number;
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
}>;

const encoder = new TextEncoder();

export function textReply(status: number, text: string,
  headers: Readonly<Record<string, string>> = {}): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
    body: encoder.encode(text.endsWith('\n') ? text : `${text}\n`) };
}

export function jsonReply(status: number, value: unknown,
  headers: Readonly<Record<string, string>> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: encoder.encode(JSON.stringify(value)) };
}

export function bytesReply(contentType: string, body: Uint8Array): Reply {
  assert(body.length > 0, 'a served artifact is not empty');
  return { status: 200, headers: { 'content-type': contentType }, body };
}

/** Control characters and overlong text never reach a body or a log line. */
export function printable(text: string, max = 200): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

type Listed = Readonly<{ code: string; message: string }>;

/** `detail.failures` of a refused attestation or release (code and message of each check). */
function failuresOf(error: SimError): readonly Listed[] | undefined {
  const failures = error.detail['failures'];
  if (!Array.isArray(failures)) return undefined;
  const listed = failures.map((f: unknown) => {
    const entry = typeof f === 'object' && f !== null ? f as Record<string, unknown> : {};
    return { code: String(entry['code']), message: printable(String(entry['message']), 400) };
  });
  assert(listed.length === failures.length);
  return listed.slice(0, 32);
}

/**
 * A refused request in the family's style: `CODE: message` as text, `{error, code, failures?}`
 * JSON, or Azure's `{error: {code, message, details?}}`.
 */
export function errorReply(error: SimError, style: BodyStyle): Reply {
  const status = httpStatusFor(error);
  const allow = error.detail['allow'];
  const headers: Record<string, string> = typeof allow === 'string' ? { allow } : {};
  const message = printable(error.message, 400);
  const failures = failuresOf(error);
  if (style === 'text') return textReply(status, message, headers);
  if (style === 'json') {
    return jsonReply(status, { error: message, code: error.code,
      ...(failures === undefined ? {} : { failures }) }, headers);
  }
  return jsonReply(status, { error: { code: error.code, message,
    ...(failures === undefined ? {} : { details: failures }) } }, headers);
}

/** 429 / 503 from the fault schedule, shaped like the route's own errors. */
export function faultReply(status: 429 | 503, retryAfterSeconds: number,
  style: BodyStyle): Reply {
  const reason = status === 429 ? 'Too Many Requests' : 'Service Unavailable';
  const headers = { 'retry-after': `${retryAfterSeconds}` };
  if (style === 'text') return textReply(status, reason, headers);
  return style === 'json'
    ? jsonReply(status, { error: reason }, headers)
    : jsonReply(status, { error: { code: reason.replaceAll(' ', ''), message: reason } },
      headers);
}

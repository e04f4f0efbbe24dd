/**
 * Models: the body of Microsoft Azure Attestation's `POST /attest/SevSnpVm` (spec
 *   attestation-services.md, "MAA, SEV-SNP VM path"): `{report, runtimeData: {data, dataType},
 *   initTimeData?, nonce?}` where `report` is base64url of the JSON `{SnpReport, VcekCertChain,
 *   Endorsements?}`, SnpReport the raw 0x4A0-byte report and VcekCertChain the PEM chain from
 *   THIM (VCEK, then ASK, then ARK), both base64url.
 * Real counterpart: what confidential-sidecar-containers' `attest` sends and MAA decodes.
 * Differs: base64url is accepted with or without padding (the sidecar pads, RFC 7515 does not);
 *   `Endorsements` (the UVM's COSE_Sign1 reference info) is carried but not appraised here —
 *   the token service's configured endorsed measurements stand in for it; `initTimeData` is
 *   ignored (ACI sends none); runtime data must be `dataType: "JSON"`.
 * Invariants: hostile bodies never throw: every problem is one VERIFY_BAD_EVIDENCE (or
 *   VERIFY_RUNTIME_DATA) failure naming the field; the report is exactly 0x4A0 bytes; the chain
 *   is 1 to 3 PEM CERTIFICATE blocks.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Json } from '../../sim/kernel/canonical-json.js';
import { REPORT_BYTES } from '../snp/attestation-report.js';
import { base64url, type JsonObject } from './jwt.js';
import { failure, type VerifyFailure } from './verdict.js';

export type SevSnpEvidence = Readonly<{
  report: Uint8Array;
  /** DER certificates in chain order: leaf (VCEK or VLEK), then ASK/ASVK, then ARK. */
  chain: readonly Uint8Array[];
  runtimeData: Uint8Array;
  runtime: JsonObject;
  nonce: string | number | null;
}>;

const MAX_BODY_FIELD = 256 * 1024;
const PEM_BLOCK =
  /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END CERTIFICATE-----\r?\n?/g;

/** base64url with optional '=' padding (the sidecar uses Go's padded URLEncoding). */
function fromBase64urlLenient(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length > MAX_BODY_FIELD) return undefined;
  const bare = text.replace(/={1,2}$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(bare) || bare.length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(bare, 'base64url'));
}

function jsonOf(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The DER certificates of a PEM text, in order; undefined unless it is only PEM blocks. */
export function pemCertificates(text: string): Uint8Array[] | undefined {
  const ders: Uint8Array[] = [];
  let rest = text;
  for (const match of text.matchAll(PEM_BLOCK)) {
    ders.push(new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64')));
    rest = rest.replace(match[0], '');
  }
  if (rest.trim().length > 0 || ders.some((der) => der.length === 0)) return undefined;
  return ders;
}

/** PEM text of DER certificates (64-character lines), as THIM serves them. */
export function certificatesPem(ders: readonly Uint8Array[]): string {
  const pem = ders.map((der) => {
    const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
    return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  }).join('');
  assert(pemCertificates(pem)?.length === ders.length, 'our PEM reads back');
  return pem;
}

function evidenceFailure(field: string, message: string): VerifyFailure {
  return failure('VERIFY_BAD_EVIDENCE', `${field}: ${message}`, { field });
}

/** Decodes the `report` member: the SNP report and the VCEK chain. */
function decodeReportBundle(value: unknown):
  { report: Uint8Array; chain: Uint8Array[] } | VerifyFailure {
  const bundleBytes = fromBase64urlLenient(value);
  const bundle = bundleBytes === undefined ? undefined : jsonOf(bundleBytes);
  if (!isObject(bundle)) return evidenceFailure('report', 'not base64url of a JSON object');
  const report = fromBase64urlLenient(bundle['SnpReport']);
  if (report === undefined || report.length !== REPORT_BYTES) {
    return evidenceFailure('report.SnpReport', `not base64url of ${REPORT_BYTES} bytes`);
  }
  const pem = fromBase64urlLenient(bundle['VcekCertChain']);
  const chain = pem === undefined ? undefined : pemCertificates(Buffer.from(pem).toString('utf8'));
  if (chain === undefined || chain.length < 1 || chain.length > 3) {
    return evidenceFailure('report.VcekCertChain', 'not base64url of 1 to 3 PEM certificates');
  }
  return { report, chain };
}

/** Decodes an attest request body; a failure value for anything malformed. */
export function decodeAttestRequest(body: unknown): SevSnpEvidence | VerifyFailure {
  if (!isObject(body)) return evidenceFailure('body', 'not a JSON object');
  const bundle = decodeReportBundle(body['report']);
  if ('code' in bundle) return bundle;
  const runtimeData = body['runtimeData'];
  if (!isObject(runtimeData) || runtimeData['dataType'] !== 'JSON') {
    return evidenceFailure('runtimeData', 'an object with dataType "JSON"');
  }
  const data = fromBase64urlLenient(runtimeData['data']);
  if (data === undefined) return evidenceFailure('runtimeData.data', 'not base64url');
  const runtime = jsonOf(data);
  if (!isObject(runtime)) {
    return failure('VERIFY_RUNTIME_DATA', 'runtime data is not a JSON object', {});
  }
  const nonce = body['nonce'] ?? null;
  const nonceOk = nonce === null || (typeof nonce === 'string' && nonce.length <= 1024) ||
    (typeof nonce === 'number' && Number.isSafeInteger(nonce) && nonce >= 0);
  if (!nonceOk) return evidenceFailure('nonce', 'a string or a non-negative safe integer');
  return Object.freeze({ report: bundle.report, chain: Object.freeze(bundle.chain),
    runtimeData: data, runtime: runtime as JsonObject, nonce: nonce as string | number | null });
}

export type AttestRequestInput = Readonly<{
  report: Uint8Array;
  /** The VCEK chain as THIM hands it over: PEM, VCEK then ASK then ARK. */
  vcekCertChainPem: string;
  /** The exact runtime data bytes (a JSON document) whose SHA-256 is in REPORT_DATA. */
  runtimeData: Uint8Array;
  nonce?: string | number;
}>;

/** The client side: the request body the SKR sidecar sends to MAA. */
export function sevSnpVmAttestRequest(input: AttestRequestInput): JsonObject {
  assert(input.report.length === REPORT_BYTES, 'a whole report');
  const bundle: Json = {
    SnpReport: base64url(input.report), VcekCertChain: base64url(input.vcekCertChainPem),
  };
  const body: Record<string, Json> = {
    report: base64url(JSON.stringify(bundle)),
    runtimeData: { data: base64url(input.runtimeData), dataType: 'JSON' },
  };
  if (input.nonce !== undefined) body['nonce'] = input.nonce;
  assert(typeof body['report'] === 'string');
  return Object.freeze(body);
}

/**
 * Models: how the services behind the fake backend read a JSON request body: the confidential
 *   sidecar (gin's ShouldBindJSON with `binding:"required"` fields: a missing or empty string is a
 *   400), Microsoft Azure Attestation and Azure Key Vault (a JSON object body).
 * Real counterpart: the request binding of the SKR sidecar, MAA and AKV.
 * Differs: the reasons are our own words (gin names Go struct fields, Azure its own codes).
 * Invariants: hostile bytes never throw anything but SimError SIM_BAD_REQUEST naming the field;
 *   a returned object is a plain JSON object (not an array, not null).
 */
import { assert } from '../kernel/assert.js';
import { SimError } from '../kernel/errors.js';
import { decodeStdBase64 } from './config.js';

export function badRequest(reason: string): SimError {
  return new SimError('SIM_BAD_REQUEST', { reason }, reason);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The body as a JSON object, or SIM_BAD_REQUEST. */
export function jsonObjectOf(body: Uint8Array): Readonly<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body));
  } catch {
    throw badRequest('invalid request format: the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('invalid request format: the body is not a JSON object');
  }
  return parsed as Readonly<Record<string, unknown>>;
}

/** A `binding:"required"` string member: present, a string, not empty. */
export function requiredString(record: Readonly<Record<string, unknown>>, name: string,
  what: string): string {
  const value = record[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw badRequest(`invalid request format: '${name}' is required (${what})`);
  }
  assert(value.length > 0);
  return value;
}

/** An optional string member (absent or a string). */
export function optionalString(record: Readonly<Record<string, unknown>>,
  name: string): string | undefined {
  const value = record[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw badRequest(`invalid request format: '${name}' must be a string`);
  }
  return value;
}

/** The sidecar's `runtime_data`: required, standard base64 (Go's base64.StdEncoding). */
export function runtimeDataOf(record: Readonly<Record<string, unknown>>): Uint8Array {
  const text = requiredString(record, 'runtime_data', 'a base64 string');
  const bytes = decodeStdBase64(text);
  if (bytes === undefined) {
    throw badRequest('decoding base64-encoded runtime data of request failed');
  }
  return bytes;
}

/** `?api-version=` of a request target, required by MAA and AKV; SIM_BAD_REQUEST if absent. */
export function requireApiVersion(pathAndQuery: string): string {
  const version = new URL(pathAndQuery, 'http://parma-sim.invalid').searchParams
    .get('api-version');
  if (version === null || version.length === 0) {
    throw badRequest('the api-version query parameter (?api-version=) is required');
  }
  assert(version.length > 0);
  return version;
}

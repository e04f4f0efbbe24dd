/**
 * Models: nothing real. The attestation services' part of the fake backend's configuration
 *   (`parma-sim serve --config`, `createFakeSnp(options)`): the virtual time, the MAA-style
 *   token service (`tokenService`) and the AKV-style key vault with its keys and release
 *   policies (`keyVault`).
 * Real counterpart: an MAA instance and a key vault whose keys carry release policies.
 * Differs: endpoints are host names (optionally `:port`), as the confidential sidecar takes them
 *   (`maa_endpoint`, `akv_endpoint`; it puts `https://` in front); time is one virtual instant
 *   for the whole backend, not the wall clock.
 * Invariants: every problem is SimError SIM_USAGE naming the config path; a release policy is
 *   parsed here (a bad one never reaches the vault); key names are unique; defaults that depend
 *   on the guest (its HOST_DATA and MEASUREMENT) are left undefined and filled in by the
 *   services, which know the guest.
 */
import { assert } from '../kernel/assert.js';
import { toHex, type Hex } from '../kernel/bytes.js';
import { SIM_EPOCH_UNIX_MS } from '../kernel/clock.js';
import { SimError } from '../kernel/errors.js';
import { DEFAULT_VAULT } from '../../models/verifier/key-broker.js';
import { parseReleasePolicy } from '../../models/verifier/release-policy.js';
import {
  DEFAULT_TOKEN_ISSUER, MAA_TOKEN_LIFETIME_SECONDS,
} from '../../models/verifier/token-service.js';
import { configError, recordAt } from './config-check.js';

/** One key in the vault. */
export type VaultKeySpec = Readonly<{
  /** Key name: 1-127 letters, digits and dashes (the sidecar's `kid`). */
  name: string;
  /** Key material, hex or bytes (1..1024 bytes; default 32 bytes from the seed and the name). */
  material?: string | Uint8Array;
  /** AKV release policy `{version, anyOf: [{authority, allOf|anyOf: [{claim, equals}]}]}`
   *  (default: the default MAA instance, the guest's HOST_DATA and is-debuggable false). */
  releasePolicy?: unknown;
  /** Default true; a key that is not exportable is never released. */
  exportable?: boolean;
}>;

/** The MAA-style token service. */
export type TokenServiceSpec = Readonly<{
  /** Host name of the default instance (the issuer is `https://` + it). */
  endpoint?: string;
  /** exp − iat of a token (default 28800: 8 hours, as MAA). */
  lifetimeSeconds?: number;
  /** Launch measurements (48 bytes hex) the UVM endorsement vouches for
   *  (default: the guest's MEASUREMENT, so its tokens say azure-compliant-uvm). */
  endorsedMeasurements?: readonly (string | Uint8Array)[];
  /** MAA attestation policy text (x-ms-policy-hash is computed from it). */
  policyText?: string;
}>;

/** The AKV-style key vault. */
export type KeyVaultSpec = Readonly<{
  /** Host name of the vault (the sidecar's `akv_endpoint`). */
  endpoint?: string;
  /** The keys (default: one key, `parma-sim-key`). */
  keys?: readonly VaultKeySpec[];
}>;

export type ResolvedVaultKey = Readonly<{
  name: string;
  material: Uint8Array | undefined;
  /** The policy document as given (already checked to parse); undefined: the default. */
  releasePolicy: unknown;
  exportable: boolean;
}>;

export type ResolvedAttestation = Readonly<{
  /** The virtual instant of every token and release (clock ticks since 2026-01-01T00:00:00Z). */
  timeTicks: number;
  tokenService: Readonly<{
    endpoint: string;
    lifetimeSeconds: number;
    endorsedMeasurements: readonly Hex[] | undefined;
    policyText: string | undefined;
  }>;
  keyVault: Readonly<{ endpoint: string; keys: readonly ResolvedVaultKey[] | undefined }>;
}>;

export const DEFAULT_KEY_NAME = 'parma-sim-key';
const MAX_KEYS = 64;
const MAX_LIFETIME_SECONDS = 10 * 366 * 24 * 3600;
const HOST = /^[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*(?::[0-9]{1,5})?$/;

/** A host name (optionally `:port`), lower-cased, or undefined (no scheme, path or spaces). */
export function endpointHost(text: string): string | undefined {
  const host = text.toLowerCase();
  return host.length <= 253 && HOST.test(host) ? host : undefined;
}

function endpointAt(value: unknown, path: string, fallback: string): string {
  if (value === undefined) return fallback;
  const host = typeof value === 'string' ? endpointHost(value) : undefined;
  if (host === undefined) throw configError(path, 'must be a host name such as my.attest.example');
  return host;
}

function bytesAt(value: unknown, path: string, min: number, max: number): Uint8Array | undefined {
  if (value === undefined) return undefined;
  let bytes: Uint8Array | undefined;
  if (value instanceof Uint8Array) bytes = value.slice();
  else if (typeof value === 'string' && /^(?:[0-9a-fA-F]{2})*$/.test(value)) {
    bytes = new Uint8Array(Buffer.from(value, 'hex'));
  }
  if (bytes === undefined) throw configError(path, 'must be hex');
  if (bytes.length < min || bytes.length > max) {
    const size = min === max ? `${min}` : `${min}..${max}`;
    throw configError(path, `must be ${size} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** `time`: an ISO 8601 UTC instant (`2026-01-01T00:00:00Z`) at or after the sim epoch. */
function timeAt(value: unknown): number {
  if (value === undefined) return 0;
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
  const ms = typeof value === 'string' && iso.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < SIM_EPOCH_UNIX_MS) {
    throw configError('time', 'must be an ISO 8601 UTC time (…Z) at or after 2026-01-01T00:00:00Z');
  }
  return ms - SIM_EPOCH_UNIX_MS;
}

function resolveTokenService(value: unknown): ResolvedAttestation['tokenService'] {
  const spec = recordAt(value ?? {}, 'tokenService',
    ['endpoint', 'lifetimeSeconds', 'endorsedMeasurements', 'policyText']);
  const lifetime = spec['lifetimeSeconds'] ?? MAA_TOKEN_LIFETIME_SECONDS;
  if (typeof lifetime !== 'number' || !Number.isSafeInteger(lifetime) || lifetime < 1
    || lifetime > MAX_LIFETIME_SECONDS) {
    throw configError('tokenService.lifetimeSeconds',
      `must be an integer 1..${MAX_LIFETIME_SECONDS}`);
  }
  const endorsed = spec['endorsedMeasurements'];
  if (endorsed !== undefined && (!Array.isArray(endorsed) || endorsed.length > MAX_KEYS)) {
    throw configError('tokenService.endorsedMeasurements', `must be a list of 0..${MAX_KEYS}`);
  }
  const policyText = spec['policyText'];
  if (policyText !== undefined && (typeof policyText !== 'string' || policyText.length === 0
    || policyText.length > 65_536)) {
    throw configError('tokenService.policyText', 'must be a non-empty string (at most 64 KiB)');
  }
  return Object.freeze({
    endpoint: endpointAt(spec['endpoint'], 'tokenService.endpoint',
      new URL(DEFAULT_TOKEN_ISSUER).host),
    lifetimeSeconds: lifetime,
    endorsedMeasurements: endorsed === undefined ? undefined : Object.freeze(endorsed.map((m, i) =>
      toHex(bytesAt(m, `tokenService.endorsedMeasurements[${i}]`, 48, 48)!))),
    policyText,
  });
}

function resolveKey(value: unknown, path: string): ResolvedVaultKey {
  const spec = recordAt(value, path, ['name', 'material', 'releasePolicy', 'exportable']);
  const name = spec['name'];
  if (typeof name !== 'string' || !/^[0-9A-Za-z-]{1,127}$/.test(name)) {
    throw configError(`${path}.name`, 'must be 1-127 letters, digits and dashes');
  }
  const exportable = spec['exportable'] ?? true;
  if (typeof exportable !== 'boolean') {
    throw configError(`${path}.exportable`, 'must be true or false');
  }
  const releasePolicy = spec['releasePolicy'];
  if (releasePolicy !== undefined) {
    try {
      parseReleasePolicy(releasePolicy);
    } catch (cause) {
      if (!(cause instanceof SimError)) throw cause;
      throw configError(`${path}.releasePolicy`, cause.message);
    }
  }
  return Object.freeze({ name, exportable, releasePolicy,
    material: bytesAt(spec['material'], `${path}.material`, 1, 1024) });
}

function resolveKeyVault(value: unknown): ResolvedAttestation['keyVault'] {
  const spec = recordAt(value ?? {}, 'keyVault', ['endpoint', 'keys']);
  const rawKeys = spec['keys'];
  if (rawKeys !== undefined && (!Array.isArray(rawKeys) || rawKeys.length > MAX_KEYS)) {
    throw configError('keyVault.keys', `must be a list of 0..${MAX_KEYS} keys`);
  }
  const keys = rawKeys?.map((key, i) => resolveKey(key, `keyVault.keys[${i}]`));
  const names = new Set(keys?.map((key) => key.name));
  if (keys !== undefined && names.size !== keys.length) {
    throw configError('keyVault.keys', 'two keys share a name');
  }
  return Object.freeze({
    endpoint: endpointAt(spec['endpoint'], 'keyVault.endpoint', new URL(DEFAULT_VAULT).host),
    keys: keys === undefined ? undefined : Object.freeze(keys),
  });
}

/** The `time`, `tokenService` and `keyVault` options → their resolved form. */
export function resolveAttestationConfig(time: unknown, tokenService: unknown,
  keyVault: unknown): ResolvedAttestation {
  const resolved: ResolvedAttestation = Object.freeze({
    timeTicks: timeAt(time),
    tokenService: resolveTokenService(tokenService),
    keyVault: resolveKeyVault(keyVault),
  });
  assert(Number.isSafeInteger(resolved.timeTicks) && resolved.timeTicks >= 0);
  assert(endpointHost(resolved.tokenService.endpoint) !== undefined);
  return resolved;
}

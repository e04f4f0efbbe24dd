/**
 * Models: JSON Web Tokens as Microsoft Azure Attestation issues them and Azure Key Vault reads
 *   them: JWS Compact Serialization (RFC 7515 3.1, 7.1) with RS256 (RFC 7518 3.3:
 *   RSASSA-PKCS1-v1_5 with SHA-256), base64url without padding (RFC 7515 2), RSA public JWKs
 *   (RFC 7518 6.3.1), JWK Sets (RFC 7517 5) and the JWK SHA-256 thumbprint (RFC 7638).
 * Real counterpart: MAA's token signer and the JWT validation inside AKV's key release.
 * Differs: only RS256 (the algorithm MAA signs with; `alg` "none", HS*, PS*, ES* are refused, so
 *   no algorithm confusion); keys are looked up by `kid` in a JWKS the caller trusts, never from
 *   the token's `jku`, `jwk` or `x5c` headers; JWKS entries carry n/e but no x5c certificate.
 * Why node:crypto and not `jose`: jose's sign/verify are asynchronous (WebCrypto), and model
 *   steps are synchronous pure functions. RS256 (PKCS#1 v1.5) is deterministic, so node:crypto's
 *   synchronous `sign` gives the same bytes on every run. The tests verify our tokens with jose.
 * Invariants: a decoded token has exactly three base64url parts, a JSON-object header and claims;
 *   a signature is checked over the exact received `header.payload` bytes; signatures and
 *   verifications are memoised by content (RSA-2048 signing costs ~1 ms).
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { canonicalJson, type Json } from '../../sim/kernel/canonical-json.js';
import { memo } from '../../sim/kernel/memo.js';
import type { RsaKeyPair, RsaPublicJwk } from './jwt-keys.js';
import { failure, type VerifyFailure } from './verdict.js';

export const JWT_ALGORITHM = 'RS256';

export type JsonObject = Readonly<{ [key: string]: Json }>;

export type Jwk = RsaPublicJwk & Readonly<{ kid?: string; alg?: string; use?: string }>;
export type Jwks = Readonly<{ keys: readonly Jwk[] }>;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function base64url(bytes: Uint8Array | string): string {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  const text = buffer.toString('base64url');
  assert(!text.includes('='), 'base64url without padding');
  return text;
}

/** Strict base64url (no padding, no other characters); undefined for anything else. */
export function fromBase64url(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.length % 4 === 1) {
    return undefined;
  }
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  if (base64url(bytes) !== text) return undefined;   // non-canonical trailing bits
  return bytes;
}

/** RFC 7638: base64url(SHA-256 of {"e","kty","n"} with no whitespace, in that order). */
export function jwkThumbprint(jwk: RsaPublicJwk): string {
  const members = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  const thumbprint = base64url(createHash('sha256').update(members).digest());
  assert(thumbprint.length === 43, 'a SHA-256 thumbprint is 43 base64url characters');
  return thumbprint;
}

/** The JWKS entry of a signing key: kid = its RFC 7638 thumbprint. */
export function signingJwk(key: RsaKeyPair): Jwk {
  return Object.freeze({
    ...key.publicJwk, kid: jwkThumbprint(key.publicJwk), alg: JWT_ALGORITHM, use: 'sig',
  });
}

/** RS256 over `signingInput`, memoised by the key's thumbprint and the input's digest. */
function rs256(key: RsaKeyPair, signingInput: string): string {
  const digest = createHash('sha256').update(signingInput).digest('hex');
  return memo('verifier.jwt-sign', `${jwkThumbprint(key.publicJwk)}:${digest}`, () => {
    const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), key.privateKey);
    assert(signature.length * 8 === key.bits, 'a PKCS#1 v1.5 signature fills the modulus');
    return base64url(signature);
  });
}

/** A compact JWS: canonical (sorted-key) JSON header and claims, RS256 signature. */
export function signJwt(header: JsonObject, claims: JsonObject, key: RsaKeyPair): string {
  assert(header['alg'] === JWT_ALGORITHM, 'tokens are RS256');
  const signingInput = `${base64url(canonicalJson(header))}.${base64url(canonicalJson(claims))}`;
  const token = `${signingInput}.${rs256(key, signingInput)}`;
  assert(token.split('.').length === 3, 'a compact JWS has three parts');
  return token;
}

export type DecodedJwt = Readonly<{
  header: JsonObject;
  claims: JsonObject;
  signingInput: string;
  signature: Uint8Array;
}>;

function jsonObjectOf(bytes: Uint8Array | undefined): JsonObject | undefined {
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as JsonObject;
}

/** Splits and decodes a compact JWS; a VERIFY_BAD_TOKEN failure for anything malformed. */
export function decodeJwt(token: unknown): DecodedJwt | VerifyFailure {
  if (typeof token !== 'string' || token.length > 64 * 1024) {
    return failure('VERIFY_BAD_TOKEN', 'a token is a string of at most 64 KiB', {});
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    return failure('VERIFY_BAD_TOKEN', `a compact JWS has 3 parts, this has ${parts.length}`,
      { parts: parts.length });
  }
  const header = jsonObjectOf(fromBase64url(parts[0]));
  const claims = jsonObjectOf(fromBase64url(parts[1]));
  const signature = fromBase64url(parts[2]);
  if (header === undefined || claims === undefined || signature === undefined) {
    return failure('VERIFY_BAD_TOKEN',
      'header and claims must be base64url JSON objects and the signature base64url', {});
  }
  if (header['alg'] !== JWT_ALGORITHM) {
    return failure('VERIFY_BAD_TOKEN', `alg ${JSON.stringify(header['alg'] ?? null)} is not RS256`,
      { alg: header['alg'] ?? null });
  }
  return Object.freeze({ header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature });
}

/** A public KeyObject from an RSA JWK of at least 2048 bits, or undefined (hostile input). */
export function rsaPublicKeyOf(jwk: unknown): KeyObject | undefined {
  if (jwk === null || typeof jwk !== 'object') return undefined;
  const { kty, n, e } = jwk as Record<string, unknown>;
  if (kty !== 'RSA' || fromBase64url(n) === undefined || fromBase64url(e) === undefined) {
    return undefined;
  }
  return memo('verifier.jwk-public-key', `${String(n)}:${String(e)}`, () => {
    try {
      const key = createPublicKey({ format: 'jwk', key: { kty: 'RSA', n: String(n),
        e: String(e) } });
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      return bits >= 2048 ? key : undefined;
    } catch (error) {
      if (error instanceof Error && 'code' in error) return undefined;   // OpenSSL refused it
      throw error;
    }
  });
}

/**
 * Checks the RS256 signature under the key of `jwks` whose kid is the header's kid.
 * Returns null when it verifies, else a VERIFY_TOKEN_SIGNATURE failure saying why.
 */
export function verifyJwtSignature(decoded: DecodedJwt, jwks: Jwks): VerifyFailure | null {
  const kid = decoded.header['kid'];
  const jwk = jwks.keys.find((key) => key.kid === kid);
  if (jwk === undefined) {
    return failure('VERIFY_TOKEN_SIGNATURE',
      `no key with kid ${JSON.stringify(kid ?? null)} in the authority's JWKS`,
      { kid: kid ?? null });
  }
  const key = rsaPublicKeyOf(jwk);
  assert(key !== undefined, 'a trusted JWKS holds usable RSA keys');
  const digest = createHash('sha256').update(decoded.signingInput)
    .update(decoded.signature).digest('hex');
  const ok = memo('verifier.jwt-verify', `${jwk.n}:${digest}`, () => verify('sha256',
    Buffer.from(decoded.signingInput, 'ascii'), key, decoded.signature));
  if (ok) return null;
  return failure('VERIFY_TOKEN_SIGNATURE',
    `the RS256 signature does not verify under key ${String(kid)}`, { kid: String(kid) });
}

/**
 * Models: COSE_Sign1 (RFC 9052 section 4.2, tag 18) with the header parameters Microsoft uses for
 * signed policy fragments and UVM reference info: alg (label 1, RFC 9053 / RFC 8230), content type
 * (3), CWT claims (15, RFC 9597), x5chain (33, RFC 9360), x5t (34), and the string labels `iss`,
 * `feed` and `signingtime` seen in real ACI envelopes.
 * Real counterpart: veraison/go-cose as used by hcsshim pkg/cosesign1 (GCS InjectFragment) and
 * the confidential-sidecar UVM reference-info check.
 * Differs: attached payloads only (a detached payload is rejected); external_aad is always empty;
 * x5chain is read from the protected header only (as the GCS does); counter-signatures and the
 * RFC 3161 `timestamp` in the unprotected header are kept but never checked.
 * Invariants: the signature covers Sig_structure ["Signature1", protected bstr exactly as
 * received, h'', payload]; a decoded message never loses its original protected bytes; decoding
 * is strict (minimal integers, definite lengths, no duplicate map keys, no trailing bytes).
 */
import { decode, encode, Tagged, type TagDecoder } from 'cborg';
import {
  verify as cryptoVerify, constants as cryptoConstants, X509Certificate, type KeyObject,
} from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { SimError, isInputRefusal } from '../../sim/kernel/errors.js';

export const COSE_SIGN1_TAG = 18;

/** Header labels (IANA "COSE Header Parameters"; the string ones are Microsoft's). */
export const COSE_HEADER = {
  alg: 1,
  crit: 2,
  content_type: 3,
  kid: 4,
  cwt_claims: 15, // RFC 9597
  x5chain: 33, // RFC 9360
  x5t: 34, // RFC 9360
  iss: 'iss', // Microsoft signing service (real UVM reference info)
  feed: 'feed', // Microsoft signing service
  signingtime: 'signingtime', // Microsoft signing service, tag 1 epoch seconds
} as const;

/** CWT claim keys inside header 15 (RFC 8392 section 4; `svn` is a private string claim). */
export const CWT_CLAIM = { iss: 1, sub: 2, svn: 'svn' } as const;

export type CoseAlgorithmName = 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'PS384' | 'PS512';

export type CoseAlgorithm = Readonly<{
  id: number;
  name: CoseAlgorithmName;
  kind: 'ecdsa' | 'rsa-pss';
  hash: 'sha256' | 'sha384' | 'sha512';
  /** OpenSSL curve name for ECDSA; the curve RFC 9053 section 2.1 pairs with the algorithm. */
  namedCurve?: 'prime256v1' | 'secp384r1' | 'secp521r1';
  /** r || s length for ECDSA (RFC 9053 section 2.1: each integer left-padded to the curve size). */
  signatureBytes?: number;
}>;

/** RFC 9053 table 1 (ECDSA) and RFC 8230 table 1 (RSASSA-PSS, salt length = hash length). */
export const COSE_ALGORITHMS: readonly CoseAlgorithm[] = Object.freeze([
  { id: -7, name: 'ES256', kind: 'ecdsa', hash: 'sha256', namedCurve: 'prime256v1',
    signatureBytes: 64 },
  { id: -35, name: 'ES384', kind: 'ecdsa', hash: 'sha384', namedCurve: 'secp384r1',
    signatureBytes: 96 },
  { id: -36, name: 'ES512', kind: 'ecdsa', hash: 'sha512', namedCurve: 'secp521r1',
    signatureBytes: 132 },
  { id: -37, name: 'PS256', kind: 'rsa-pss', hash: 'sha256' },
  { id: -38, name: 'PS384', kind: 'rsa-pss', hash: 'sha384' },
  { id: -39, name: 'PS512', kind: 'rsa-pss', hash: 'sha512' },
]);
assert(new Set(COSE_ALGORITHMS.map((a) => a.id)).size === COSE_ALGORITHMS.length, 'alg ids unique');
assert(COSE_ALGORITHMS.every((a) => (a.kind === 'ecdsa') === (a.signatureBytes !== undefined)));

/** RFC 8230 section 6.1: RSA keys for COSE must be at least 2048 bits. */
export const RSA_MIN_MODULUS_BITS = 2048;

export type HeaderLabel = number | string;
export type HeaderMap = ReadonlyMap<HeaderLabel, unknown>;

export type CoseSign1 = Readonly<{
  /** The protected header bstr exactly as received: it is what the signature covers. */
  protectedBytes: Uint8Array;
  protectedHeader: HeaderMap;
  unprotectedHeader: HeaderMap;
  payload: Uint8Array;
  signature: Uint8Array;
}>;

/**
 * Tag decoders that keep every tag as a `Tagged` value (signingtime uses tag 1). cborg looks a
 * decoder up by tag number only, so every key this proxy sees is a number's text.
 */
const PRESERVE_ANY_TAG: Readonly<Record<number, TagDecoder>> = new Proxy({}, {
  get: (_target, key) => Tagged.decoder(Number(String(key))),
});

const STRICT_DECODE = {
  useMaps: true,
  strict: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  tags: PRESERVE_ANY_TAG,
} as const;

function bad(reason: string, detail: Record<string, unknown> = {}): SimError {
  return new SimError('POLICY_BAD_FRAGMENT', { reason, ...detail }, `COSE_Sign1: ${reason}`);
}

function strictDecode(bytes: Uint8Array, what: string): unknown {
  try {
    return decode(bytes, STRICT_DECODE);
  } catch (error) {
    // cborg refuses with an Error (its message says where and why).
    throw bad(`${what} is not valid CBOR`, { cause: String((error as Error).message) });
  }
}

function asHeaderMap(value: unknown, what: string): HeaderMap {
  if (!(value instanceof Map)) throw bad(`${what} is not a CBOR map`);
  for (const key of value.keys()) {
    if (!(typeof key === 'string' || Number.isSafeInteger(key))) {
      throw bad(`${what} has a label that is neither an integer nor a text string`);
    }
  }
  return value as HeaderMap;
}

/** Decodes a tagged COSE_Sign1 message (RFC 9052 section 4.2). Hostile bytes get a SimError. */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  if (bytes.length === 0) throw bad('empty input');
  const outer = strictDecode(bytes, 'message');
  if (!(outer instanceof Tagged) || outer.tag !== COSE_SIGN1_TAG) {
    throw bad(`message is not CBOR tag ${COSE_SIGN1_TAG} (COSE_Sign1_Tagged)`);
  }
  const body: unknown = outer.value;
  if (!Array.isArray(body) || body.length !== 4) {
    throw bad('COSE_Sign1 must be an array of 4 items');
  }
  const [protectedBytes, unprotected, payload, signature] = body as unknown[];
  if (!(protectedBytes instanceof Uint8Array)) throw bad('protected header is not a byte string');
  if (payload === null) throw bad('detached payloads are not supported');
  if (!(payload instanceof Uint8Array)) throw bad('payload is not a byte string');
  if (!(signature instanceof Uint8Array) || signature.length === 0) {
    throw bad('signature is not a non-empty byte string');
  }
  // RFC 9052 section 3: a zero-length bstr stands for an empty protected map.
  const protectedHeader = protectedBytes.length === 0
    ? new Map<HeaderLabel, unknown>()
    : asHeaderMap(strictDecode(protectedBytes, 'protected header'), 'protected header');
  const unprotectedHeader = asHeaderMap(unprotected, 'unprotected header');
  for (const label of protectedHeader.keys()) {
    if (unprotectedHeader.has(label)) {
      throw bad('a label appears in both header buckets', { label });
    }
  }
  const message = { protectedBytes, protectedHeader, unprotectedHeader, payload, signature };
  assert(message.protectedBytes === protectedBytes, 'protected bytes kept as received');
  assert(message.signature.length > 0);
  return message;
}

/** Sig_structure for COSE_Sign1 (RFC 9052 section 4.4), with an empty external_aad. */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  const toBeSigned = encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  assert(toBeSigned.length > protectedBytes.length + payload.length,
    'Sig_structure wraps its parts');
  assert(toBeSigned[0] === 0x84, 'Sig_structure is a 4-item array');
  return toBeSigned;
}

/** Encodes a protected header map as the bstr contents that get signed. */
export function encodeProtectedHeader(header: HeaderMap): Uint8Array {
  assert(header.size > 0, 'a signed header needs at least alg');
  const bytes = encode(header);
  assert(asHeaderMap(strictDecode(bytes, 'own protected header'),
    'own protected header').size === header.size);
  return bytes;
}

/** Encodes a tagged COSE_Sign1 from its parts (the inverse of decodeCoseSign1). */
export function encodeCoseSign1(message: CoseSign1): Uint8Array {
  assert(message.signature.length > 0, 'encode needs a signature');
  const bytes = encode(new Tagged(COSE_SIGN1_TAG, [
    message.protectedBytes, message.unprotectedHeader, message.payload, message.signature,
  ]));
  assert(bytes[0] === 0xd2, 'COSE_Sign1 starts with tag 18');
  return bytes;
}

export type SignCoseSign1Options = Readonly<{
  protectedHeader: HeaderMap;
  unprotectedHeader?: HeaderMap;
  payload: Uint8Array;
  /** Signs the Sig_structure bytes; returns the raw COSE signature (r || s for ECDSA). */
  sign: (toBeSigned: Uint8Array) => Uint8Array;
}>;

/** Builds and signs a COSE_Sign1 message. */
export function signCoseSign1(options: SignCoseSign1Options): Uint8Array {
  const protectedBytes = encodeProtectedHeader(options.protectedHeader);
  const signature = options.sign(sigStructure(protectedBytes, options.payload));
  assert(signature.length > 0, 'signer returned an empty signature');
  const bytes = encodeCoseSign1({
    protectedBytes,
    protectedHeader: options.protectedHeader,
    unprotectedHeader: options.unprotectedHeader ?? new Map(),
    payload: options.payload,
    signature,
  });
  assert(decodeCoseSign1(bytes).payload.length === options.payload.length, 'round trip');
  return bytes;
}

export function coseAlgorithmById(id: unknown): CoseAlgorithm {
  const found = COSE_ALGORITHMS.find((a) => a.id === id);
  if (found === undefined) throw bad('unsupported or missing alg', { alg: String(id) });
  return found;
}

export function coseAlgorithmByName(name: CoseAlgorithmName): CoseAlgorithm {
  const found = COSE_ALGORITHMS.find((a) => a.name === name);
  assert(found !== undefined, `algorithm ${name} is in the table`);
  return found;
}

function badSignature(reason: string, detail: Record<string, unknown> = {}): SimError {
  return new SimError('POLICY_FRAGMENT_BAD_SIGNATURE', { reason, ...detail },
    `COSE_Sign1: ${reason}`);
}

/** The x5chain leaf's public key; a leaf that is not a certificate is malformed input. */
function leafPublicKey(signerCertDer: Uint8Array): KeyObject {
  try {
    return new X509Certificate(signerCertDer).publicKey;
  } catch (error) {
    if (!isInputRefusal(error)) throw error;
    const cause = (error as Error).message;
    throw new SimError('POLICY_BAD_FRAGMENT', { reason: 'x5chain leaf does not parse', cause },
      'COSE_Sign1: the x5chain leaf is not an X.509 certificate');
  }
}

/**
 * Verifies the signature of `message` under the public key of `signerCertDer` (the x5chain leaf)
 * with algorithm `alg`. Throws POLICY_FRAGMENT_BAD_SIGNATURE when the key does not suit the
 * algorithm or the signature does not verify.
 */
export function verifyCoseSign1Signature(message: CoseSign1, alg: CoseAlgorithm,
    signerCertDer: Uint8Array): void {
  const key = leafPublicKey(signerCertDer);
  const toBeSigned = sigStructure(message.protectedBytes, message.payload);
  let ok: boolean;
  if (alg.kind === 'ecdsa') {
    assert(alg.signatureBytes !== undefined && alg.namedCurve !== undefined);
    // Only an EC key has a named curve, so the curve check refuses every other key type too.
    const curve = (key.asymmetricKeyDetails ?? {}).namedCurve;
    if (curve !== alg.namedCurve) {
      throw badSignature(`${alg.name} needs a ${alg.namedCurve} key`,
        { keyType: key.asymmetricKeyType, curve });
    }
    if (message.signature.length !== alg.signatureBytes) {
      throw badSignature(`${alg.name} signature must be ${alg.signatureBytes} bytes`,
        { bytes: message.signature.length });
    }
    ok = cryptoVerify(alg.hash, toBeSigned, { key, dsaEncoding: 'ieee-p1363' }, message.signature);
  } else {
    const bits = (key.asymmetricKeyDetails ?? {}).modulusLength ?? 0;
    if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') {
      throw badSignature(`${alg.name} needs an RSA key`, { keyType: key.asymmetricKeyType });
    }
    if (bits < RSA_MIN_MODULUS_BITS) {
      throw badSignature(`RSA key below ${RSA_MIN_MODULUS_BITS} bits`, { bits });
    }
    ok = safeVerify(() => cryptoVerify(alg.hash, toBeSigned, {
      key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST,
    }, message.signature));
  }
  if (!ok) {
    throw badSignature('signature does not verify under the x5chain leaf', { alg: alg.name });
  }
}

function safeVerify(fn: () => boolean): boolean {
  try {
    return fn();
  } catch (error) {
    // OpenSSL rejects some malformed signatures by throwing (ERR_OSSL_*): same verdict. Anything
    // else is not a verdict on the signature and propagates.
    const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
    if (typeof code === 'string' && code.startsWith('ERR_OSSL')) return false;
    throw error;
  }
}

/** The certificates of an x5chain header value: one bstr or an array of at least one bstr. */
export function x5chainCertificates(value: unknown): readonly Uint8Array[] {
  if (value instanceof Uint8Array) return [value];
  if (!Array.isArray(value) || value.length === 0) {
    throw bad('x5chain is neither a bstr nor a non-empty array');
  }
  const certs: Uint8Array[] = [];
  for (const item of value as unknown[]) {
    if (!(item instanceof Uint8Array) || item.length === 0) {
      throw bad('x5chain item is not a non-empty bstr');
    }
    certs.push(item);
  }
  assert(certs.length === value.length);
  return certs;
}

export type CwtClaims = Readonly<{ iss?: string; sub?: string; svn?: string | number }>;

/** Reads the CWT claims map (header 15), keeping only the claims parma-sim uses. */
export function readCwtClaims(value: unknown): CwtClaims | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Map)) throw bad('CWT claims (label 15) is not a map');
  const iss: unknown = value.get(CWT_CLAIM.iss);
  const sub: unknown = value.get(CWT_CLAIM.sub);
  const svn: unknown = value.get(CWT_CLAIM.svn);
  if (iss !== undefined && typeof iss !== 'string') throw bad('CWT iss is not a text string');
  if (sub !== undefined && typeof sub !== 'string') throw bad('CWT sub is not a text string');
  if (svn !== undefined && typeof svn !== 'string' && !Number.isSafeInteger(svn)) {
    throw bad('CWT svn is neither a text string nor an integer');
  }
  const claims: { iss?: string; sub?: string; svn?: string | number } = {};
  if (iss !== undefined) claims.iss = iss;
  if (sub !== undefined) claims.sub = sub;
  if (svn !== undefined) claims.svn = svn as string | number;
  return claims;
}

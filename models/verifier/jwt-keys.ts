/**
 * Models: RSA key pairs (RFC 8017 3.1-3.2, e = 65537) as the services and the container generate
 *   them: the token service's RS256 signing key, and the container's fresh wrapping key whose
 *   public half travels in the runtime data (the SKR sidecar generates RSA-2048 for this).
 * Real counterpart: `rsa.GenerateKey(rand.Reader, 2048)` in the sidecar; the HSM-held signing key
 *   of Microsoft Azure Attestation.
 * Differs: the primes come from a seeded stream, so the same stream gives the same key on every
 *   machine (node:crypto's generateKeyPair draws from the OS). Each prime is the first probable
 *   prime at or after a stream-drawn odd start with its top two bits set (so n has exactly
 *   `bits` bits), skipping p ≡ 1 (mod e); candidates are sieved by the odd primes below 2^14,
 *   and OpenSSL's Miller-Rabin (`checkPrimeSync`, default rounds) decides. About 0.1-0.3 s per
 *   2048-bit key, so keys are memoised by the stream's content (path and position) in the kernel
 *   memo: a world that asks again gets the same KeyObjects for free.
 * Invariants: p ≠ q; n has exactly `bits` bits; e·d ≡ 1 (mod lcm(p-1, q-1)); node:crypto
 *   accepts the key (a sign/verify round trip is asserted when the key is made).
 */
import {
  checkPrimeSync, createPrivateKey, createPublicKey, sign, verify, type KeyObject,
} from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { bigintFromBytesBE, bigintToBytesBE } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';
import { Rng, type RngState } from '../../sim/kernel/rng.js';

export const RSA_PUBLIC_EXPONENT = 65537n;

export type RsaPublicJwk = Readonly<{ kty: 'RSA'; n: string; e: string }>;

export type RsaKeyPair = Readonly<{
  bits: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as a JWK (RFC 7518 6.3.1): n and e as unsigned big-endian base64url. */
  publicJwk: RsaPublicJwk;
}>;

let smallPrimes: readonly number[] | undefined;

/** Odd primes below 2^14, for the sieve (computed once; a constant table, not state). */
function sievePrimes(): readonly number[] {
  if (smallPrimes !== undefined) return smallPrimes;
  const limit = 1 << 14;
  const composite = new Uint8Array(limit);
  const primes: number[] = [];
  for (let i = 3; i < limit; i += 2) {
    if (composite[i] === 1) continue;
    primes.push(i);
    for (let j = i * i; j < limit; j += 2 * i) composite[j] = 1;
  }
  smallPrimes = Object.freeze(primes);
  assert(primes[0] === 3 && primes.length > 1000);
  return smallPrimes;
}

/** Search bound: far past the expected gap (~350 odd numbers at 1024 bits). */
const MAX_PRIME_STEPS = 200_000;

function primeFrom(start: Uint8Array): bigint {
  const bytes = start.slice();
  bytes[0] = bytes[0]! | 0xc0;
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! | 1;
  const base = bigintFromBytesBE(bytes);
  const primes = sievePrimes();
  const residues = primes.map((p) => Number(base % BigInt(p)));
  for (let step = 0; step < MAX_PRIME_STEPS; step += 2) {
    let divisible = false;
    for (let i = 0; i < primes.length; i++) {
      if ((residues[i]! + step) % primes[i]! === 0) {
        divisible = true;
        break;
      }
    }
    if (divisible) continue;
    const candidate = base + BigInt(step);
    if (candidate % RSA_PUBLIC_EXPONENT === 1n) continue;
    if (checkPrimeSync(candidate)) {
      assert(candidate >> BigInt(8 * bytes.length - 2) === 3n, 'top two bits still set');
      return candidate;
    }
  }
  throw new SimError('SIM_LIMIT_EXCEEDED', { what: 'RSA prime search', steps: MAX_PRIME_STEPS });
}

function modInverse(value: bigint, modulus: bigint): bigint {
  let [oldR, r] = [value % modulus, modulus];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  assert(oldR === 1n, 'the value is invertible');
  return ((oldS % modulus) + modulus) % modulus;
}

function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [a, b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** Unsigned big-endian base64url without leading zero bytes (RFC 7518 2, "Base64urlUInt"). */
export function base64urlUint(value: bigint): string {
  assert(value > 0n, 'a positive integer');
  const length = Math.ceil(value.toString(16).length / 2);
  return Buffer.from(bigintToBytesBE(value, length)).toString('base64url');
}

function generate(stream: RngState, bits: number): RsaKeyPair {
  const rng = Rng.fromState(stream);
  const half = bits / 16;
  const p = primeFrom(rng.bytes(half));
  let q = primeFrom(rng.bytes(half));
  for (let i = 0; q === p && i < 8; i++) q = primeFrom(rng.bytes(half));
  assert(p !== q, 'two distinct primes');
  const n = p * q;
  assert(n.toString(2).length === bits, 'the modulus has exactly the requested bits');
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const d = modInverse(RSA_PUBLIC_EXPONENT, lambda);
  const u = base64urlUint;
  const publicJwk: RsaPublicJwk = Object.freeze({ kty: 'RSA', n: u(n), e: u(RSA_PUBLIC_EXPONENT) });
  const privateKey = createPrivateKey({ format: 'jwk', key: {
    ...publicJwk, d: u(d), p: u(p), q: u(q), dp: u(d % (p - 1n)), dq: u(d % (q - 1n)),
    qi: u(modInverse(q, p)),
  } });
  const publicKey = createPublicKey({ format: 'jwk', key: publicJwk });
  const probe = Buffer.from('parma-sim rsa key check');
  assert(verify('sha256', probe, publicKey, sign('sha256', probe, privateKey)),
    'node:crypto signs and verifies with the generated key');
  return Object.freeze({ bits, privateKey, publicKey, publicJwk });
}

/**
 * The RSA key pair a stream determines (memoised by the stream's path and position).
 * `bits` is 2048 (the sidecar's size) unless a caller needs another multiple of 16.
 */
export function rsaKeyFromStream(stream: RngState, bits = 2048): RsaKeyPair {
  assert(bits >= 1024 && bits % 16 === 0, 'an RSA size in whole 16-bit steps, at least 1024');
  const key = `${bits}:${stream.path}:${stream.words.join(',')}`;
  const pair = memo('verifier.rsa-keygen', key, () => generate(stream, bits), 256);
  assert(pair.bits === bits);
  return pair;
}

/**
 * Models: the guest's encrypted scratch disk (hcsshim internal/guest/storage/crypt EncryptDevice:
 * LUKS2 dm-crypt aes-xts-plain64 over dm-integrity hmac-sha256, 4096-byte sectors, a key the
 * guest draws itself and never shows the host), as one AEAD per block.
 * Real counterpart: the dm-crypt/dm-integrity stack under a container's writable layer; the host
 * holds the disk and sees only what is written to it.
 * Differs: AES-256-GCM per 4096-byte block instead of XTS + HMAC tags; no LUKS2 header or
 * keyslots (the key stays in guest memory); blocks never written read as an integrity error, as
 * with `--integrity-no-wipe`. Stronger than the real stack: the guest keeps a version per block
 * (its ledger), so an old sealed copy of a block replayed by the host fails like a forgery,
 * where dm-integrity would accept it.
 * Invariants: the disk holds ciphertext ‖ tag only (as hex: state bytes are immutable text); a
 * (key, nonce) pair is never used twice: nonce = u64le(block index) ‖ u32le(version), and every
 * write of a block takes the next version; the block index is bound as associated data; a read
 * returns the last plaintext written or fails with GUEST_SCRATCH_INTEGRITY.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { hexBytes, isHexOf, toHex, viewOf, type Hex } from '../../sim/kernel/bytes.js';
import { SimError, isInputRefusal } from '../../sim/kernel/errors.js';

export const SCRATCH_BLOCK_BYTES = 4096;
export const SCRATCH_KEY_BYTES = 32;
export const SCRATCH_NONCE_BYTES = 12;
export const SCRATCH_TAG_BYTES = 16;
export const SCRATCH_SEALED_BYTES = SCRATCH_BLOCK_BYTES + SCRATCH_TAG_BYTES;
/** The highest version a block can reach: the nonce's u32 counter. */
export const SCRATCH_MAX_VERSION = 0xffff_ffff;
/** Associated-data label, so a sealed scratch block means nothing anywhere else. */
const AAD_LABEL = new TextEncoder().encode('parma-sim scratch block v1');

/** What the host stores and can read, tamper with, swap, replay or withhold. */
export type ScratchDisk = Readonly<{
  blockCount: number;
  /** Block index (decimal) → ciphertext ‖ tag, as hex (state bytes are immutable text). */
  sealed: Readonly<Record<string, Hex>>;
}>;

/** What the guest keeps in its own memory: the version of every block it has written. */
export type ScratchLedger = Readonly<{
  blockCount: number;
  /** Block index (decimal) → the version of its last write (1 for the first). */
  versions: Readonly<Record<string, number>>;
}>;

export type ScratchDevice = Readonly<{ ledger: ScratchLedger; disk: ScratchDisk }>;

/** A new scratch device of `blockCount` blocks: nothing written. */
export function createScratchDevice(blockCount: number): ScratchDevice {
  assert(Number.isSafeInteger(blockCount) && blockCount > 0, 'a scratch device has blocks');
  const device = {
    ledger: Object.freeze({ blockCount, versions: Object.freeze({}) }),
    disk: Object.freeze({ blockCount, sealed: Object.freeze({}) }),
  };
  assert(device.ledger.blockCount === device.disk.blockCount);
  return Object.freeze(device);
}

function checkBlockIndex(blockCount: number, index: number): string {
  if (!Number.isSafeInteger(index) || index < 0 || index >= blockCount) {
    throw new SimError('GUEST_SCRATCH_BAD_BLOCK', { index, blockCount },
      `scratch: block ${index} is outside the device (${blockCount} blocks)`);
  }
  return String(index);
}

/** u64le(index) ‖ u32le(version): unique per (block, write) under one key. */
export function scratchNonce(index: number, version: number): Uint8Array {
  assert(Number.isSafeInteger(index) && index >= 0, 'nonce: block index');
  assert(Number.isInteger(version) && version >= 1 && version <= SCRATCH_MAX_VERSION,
    'nonce: version');
  const nonce = new Uint8Array(SCRATCH_NONCE_BYTES);
  const view = viewOf(nonce);
  view.setBigUint64(0, BigInt(index), true);
  view.setUint32(8, version, true);
  return nonce;
}

function associatedData(index: number): Uint8Array {
  const aad = new Uint8Array(AAD_LABEL.length + 8);
  aad.set(AAD_LABEL, 0);
  viewOf(aad).setBigUint64(AAD_LABEL.length, BigInt(index), true);
  return aad;
}

/**
 * Writes `plaintext` (one block) to block `index`: seals it under the next version and returns
 * the new device. The inputs are unchanged; the two records are copied, their values shared.
 */
export function writeScratchBlock(
  device: ScratchDevice, key: Uint8Array, index: number, plaintext: Uint8Array,
): ScratchDevice {
  assert(key.length === SCRATCH_KEY_BYTES, 'scratch key is 32 bytes');
  assert(plaintext.length === SCRATCH_BLOCK_BYTES, 'a whole block is written');
  const name = checkBlockIndex(device.ledger.blockCount, index);
  const version = (device.ledger.versions[name] ?? 0) + 1;
  if (version > SCRATCH_MAX_VERSION) {
    throw new SimError('SIM_LIMIT_EXCEEDED', { index, version },
      'scratch: a block was written 2^32-1 times (the nonce counter would repeat)');
  }
  const cipher = createCipheriv('aes-256-gcm', key, scratchNonce(index, version),
    { authTagLength: SCRATCH_TAG_BYTES });
  cipher.setAAD(associatedData(index));
  const sealed = new Uint8Array(SCRATCH_SEALED_BYTES);
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  sealed.set(body, 0);
  sealed.set(tail, body.length);
  assert(body.length + tail.length === SCRATCH_BLOCK_BYTES, 'GCM keeps the length');
  sealed.set(cipher.getAuthTag(), SCRATCH_BLOCK_BYTES);
  return Object.freeze({
    ledger: Object.freeze({ blockCount: device.ledger.blockCount,
      versions: Object.freeze({ ...device.ledger.versions, [name]: version }) }),
    disk: Object.freeze({ blockCount: device.disk.blockCount,
      sealed: Object.freeze({ ...device.disk.sealed, [name]: toHex(sealed) }) }),
  });
}

function integrityError(index: number, reason: string): SimError {
  return new SimError('GUEST_SCRATCH_INTEGRITY', { index, reason },
    `scratch: block ${index} fails its integrity check (${reason})`);
}

/**
 * Reads block `index`: the plaintext of its last write, or GUEST_SCRATCH_INTEGRITY when the host
 * changed, swapped, replayed or withheld it, or it was never written.
 */
export function readScratchBlock(
  device: ScratchDevice, key: Uint8Array, index: number,
): Uint8Array {
  assert(key.length === SCRATCH_KEY_BYTES, 'scratch key is 32 bytes');
  const name = checkBlockIndex(device.ledger.blockCount, index);
  const version = device.ledger.versions[name];
  if (version === undefined) throw integrityError(index, 'never written');
  const stored = Object.hasOwn(device.disk.sealed, name) ? device.disk.sealed[name] : undefined;
  if (stored === undefined) throw integrityError(index, 'missing on the disk');
  if (!isHexOf(stored, SCRATCH_SEALED_BYTES)) throw integrityError(index, 'not a sealed block');
  const sealed = hexBytes(stored);
  const decipher = createDecipheriv('aes-256-gcm', key, scratchNonce(index, version),
    { authTagLength: SCRATCH_TAG_BYTES });
  decipher.setAAD(associatedData(index));
  decipher.setAuthTag(sealed.subarray(SCRATCH_BLOCK_BYTES));
  const body = decipher.update(sealed.subarray(0, SCRATCH_BLOCK_BYTES));
  let tail: Uint8Array;
  try {
    tail = decipher.final();   // throws only when the tag does not authenticate
  } catch (error) {
    if (!isInputRefusal(error)) throw error;
    throw integrityError(index, 'authentication failed');
  }
  const plaintext = new Uint8Array(SCRATCH_BLOCK_BYTES);
  plaintext.set(body, 0);
  plaintext.set(tail, body.length);
  assert(body.length + tail.length === SCRATCH_BLOCK_BYTES, 'a whole block');
  return plaintext;
}

/**
 * Models: the ID block checks of SNP_LAUNCH_FINISH (SEV-SNP Firmware ABI spec 56860, LAUNCH_FINISH
 * actions; spec/snp.md c.4). Real counterpart: the firmware verifying the guest owner's signatures
 * before it records FAMILY_ID, IMAGE_ID, GUEST_SVN and the key digests in the guest context.
 * Differs: nothing we know of. Invariants: checks run in the firmware's order and the first
 * failure decides the status: BAD_MEASUREMENT (LD differs), POLICY_FAILURE (policy differs),
 * INVALID_PARAM (bad version or algorithm), BAD_SIGNATURE (key off-curve or signature invalid).
 */
import { p384 } from '@noble/curves/nist.js';
import { assert } from '../../../sim/kernel/assert.js';
import { bytesEqual, isAllZero } from '../../../sim/kernel/bytes.js';
import { isInputRefusal } from '../../../sim/kernel/errors.js';
import { decodeEcdsaSignature } from './ecdsa-signature.js';
import type { FirmwareStatusName } from './firmware-status.js';
import {
  ID_AUTH_INFO, ID_BLOCK, ID_BLOCK_VERSION, ID_KEY_ALGO_ECDSA_P384_SHA384, decodeIdAuthInfo,
  decodeIdBlock,
  type IdBlock,
} from './id-block.js';
import { publicKeyDigest, publicKeyPoint } from './public-key.js';

export type IdAuthInput = Readonly<{
  id_block: Uint8Array;
  id_auth_info: Uint8Array;
  /** LAUNCH_FINISH AUTH_KEY_EN: the author key signed the ID key. */
  auth_key_en: boolean;
}>;

export type IdAuthVerdict =
  | Readonly<{ ok: true; block: IdBlock; id_key_digest: Uint8Array; author_key_digest: Uint8Array }>
  | Readonly<{ ok: false; statusName: FirmwareStatusName; reason: string }>;

function fail(statusName: FirmwareStatusName, reason: string): IdAuthVerdict {
  return { ok: false, statusName, reason };
}

function verifyAmd(signature: Uint8Array, message: Uint8Array, point: Uint8Array): boolean {
  const rs = decodeEcdsaSignature(signature);
  if (rs === undefined) return false;
  try {
    return p384.verify(rs, message, point, { prehash: true, lowS: false });
  } catch (error) {
    if (!isInputRefusal(error)) throw error;
    return false;
  }
}

/** The firmware's ID block checks against the current launch digest and policy. */
export function verifyIdAuth(input: IdAuthInput, ld: Uint8Array, policy: bigint): IdAuthVerdict {
  assert(ld.length === 48, 'verifyIdAuth: ld');
  if (input.id_block.length !== ID_BLOCK.sizeBytes) {
    return fail('INVALID_PARAM', 'ID block is not 0x60 bytes');
  }
  if (input.id_auth_info.length !== ID_AUTH_INFO.sizeBytes) {
    return fail('INVALID_PARAM', 'ID auth info is not 0x1000 bytes');
  }
  const block = decodeIdBlock(input.id_block);
  const auth = decodeIdAuthInfo(input.id_auth_info, { strict: false });
  if (block.version !== ID_BLOCK_VERSION) {
    return fail('INVALID_PARAM', `ID block version ${block.version}`);
  }
  if (!bytesEqual(block.ld, ld)) {
    return fail('BAD_MEASUREMENT', 'ID block LD differs from the launch digest');
  }
  if (block.policy !== policy) {
    return fail('POLICY_FAILURE', 'ID block policy differs from the launch policy');
  }
  if (auth.id_key_algo !== ID_KEY_ALGO_ECDSA_P384_SHA384) {
    return fail('INVALID_PARAM', 'ID_KEY_ALGO is not 1');
  }
  const idPoint = publicKeyPoint(auth.id_key);
  if (idPoint === undefined) return fail('BAD_SIGNATURE', 'ID key is not a P-384 point');
  if (!verifyAmd(auth.id_block_sig, input.id_block, idPoint)) {
    return fail('BAD_SIGNATURE', 'ID block signature does not verify');
  }
  let author_key_digest: Uint8Array = new Uint8Array(48);
  if (input.auth_key_en) {
    if (auth.auth_key_algo !== ID_KEY_ALGO_ECDSA_P384_SHA384) {
      return fail('INVALID_PARAM', 'AUTH_KEY_ALGO is not 1');
    }
    const authorPoint = publicKeyPoint(auth.author_key);
    if (authorPoint === undefined) return fail('BAD_SIGNATURE', 'author key is not a P-384 point');
    if (!verifyAmd(auth.id_key_sig, auth.id_key, authorPoint)) {
      return fail('BAD_SIGNATURE', 'ID key signature does not verify');
    }
    author_key_digest = publicKeyDigest(auth.author_key);
  }
  const id_key_digest = publicKeyDigest(auth.id_key);
  assert(!isAllZero(id_key_digest));
  if (!input.auth_key_en) assert(isAllZero(author_key_digest));
  return { ok: true, block, id_key_digest, author_key_digest };
}

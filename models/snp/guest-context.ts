/**
 * Models: the AMD-SP firmware's guest context (GCTX, SEV-SNP ABI spec 56860, LAUNCH_START /
 * LAUNCH_FINISH): what the firmware remembers about one launched guest and later copies into
 * every ATTESTATION_REPORT and mixes into derived keys.
 * Real counterpart: the GCTX page. Differs: plain data, no page; VMPCKs are kept for guest
 * messages; byte fields are lowercase hex (immutable state, see sim/kernel/bytes.ts `Hex`).
 * Invariants: byte sizes as in the report; measurement, host_data and the ID-block fields never
 * change after LAUNCH_FINISH (the context is frozen and its bytes are immutable text).
 */
import { assert } from '../../sim/kernel/assert.js';
import { isHexOf, toHex, type Hex } from '../../sim/kernel/bytes.js';
import type { Rng } from '../../sim/kernel/rng.js';

export type GuestContext = Readonly<{
  /** Guest POLICY given to LAUNCH_START (u64). */
  policy: bigint;
  /** The launch digest after the last LAUNCH_UPDATE (48 bytes). */
  measurement: Hex;
  /** HOST_DATA given to LAUNCH_FINISH (32 bytes). */
  host_data: Hex;
  /** SHA-384 of the ID key struct, or 48 zero bytes without an ID block. */
  id_key_digest: Hex;
  /** SHA-384 of the author key struct when AUTH_KEY_EN, else 48 zero bytes. */
  author_key_digest: Hex;
  author_key_en: boolean;
  /** From the ID block (zeros / 0 without one). */
  family_id: Hex;
  image_id: Hex;
  guest_svn: number;
  /**
   * Random per launch (from the firmware's seeded stream), and the migration agent's (or
   * 0xFF..).
   */
  report_id: Hex;
  report_id_ma: Hex;
  /** CURRENT_TCB at LAUNCH_START. */
  launch_tcb: bigint;
  /** Mitigation vector at launch (report v5). */
  launch_mit_vector: bigint;
  /** LAUNCH_FINISH VCEK_DIS: reports and keys may not use the VCEK. */
  vcek_disabled: boolean;
  /** VMPCK0..3, 32 bytes each, generated at LAUNCH_START. */
  vmpck: readonly Hex[];
}>;

export const GUEST_CONTEXT_SIZES = {
  measurement: 48, host_data: 32, id_key_digest: 48, author_key_digest: 48,
  family_id: 16, image_id: 16, report_id: 32, report_id_ma: 32,
} as const;

/** Asserts the byte sizes of a context made by our own launch code. */
export function assertGuestContext(context: GuestContext): GuestContext {
  for (const [name, size] of Object.entries(GUEST_CONTEXT_SIZES)) {
    const value = (context as Record<string, unknown>)[name];
    assert(isHexOf(value, size), `GuestContext.${name}: ${size} bytes of hex`);
  }
  assert(context.vmpck.length === 4, 'GuestContext.vmpck: four keys');
  for (const key of context.vmpck) assert(isHexOf(key, 32), 'GuestContext.vmpck: 32 bytes each');
  assert(Number.isInteger(context.guest_svn) && context.guest_svn >= 0 &&
    context.guest_svn <= 0xffff_ffff);
  return context;
}

/**
 * What the firmware draws from its RNG at LAUNCH_START: REPORT_ID and VMPCK0..3. One place, so a
 * launched guest and a context built from fields get the same values from the same stream.
 */
export function launchSecrets(
  rng: Rng,
): Readonly<{ report_id: Hex; vmpck: readonly Hex[] }> {
  const secrets = {
    report_id: toHex(rng.fork('report_id').bytes(32)),
    vmpck: Object.freeze([0, 1, 2, 3].map((i) => toHex(rng.fork(`vmpck${i}`).bytes(32)))),
  };
  assert(isHexOf(secrets.report_id, 32));
  assert(secrets.vmpck.every((key) => isHexOf(key, 32)));
  return secrets;
}

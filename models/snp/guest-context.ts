/**
 * Models: the AMD-SP firmware's guest context (GCTX, SEV-SNP ABI spec 56860, LAUNCH_START /
 * LAUNCH_FINISH): what the firmware remembers about one launched guest and later copies into
 * every ATTESTATION_REPORT and mixes into derived keys.
 * Real counterpart: the GCTX page. Differs: plain data, no page; VMPCKs are kept for guest
 * messages.
 * Invariants: byte sizes as in the report; measurement, host_data and the ID-block fields never
 * change after LAUNCH_FINISH (a finished context is frozen).
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Rng } from '../../sim/kernel/rng.js';

export type GuestContext = Readonly<{
  /** Guest POLICY given to LAUNCH_START (u64). */
  policy: bigint;
  /** The launch digest after the last LAUNCH_UPDATE (48 bytes). */
  measurement: Uint8Array;
  /** HOST_DATA given to LAUNCH_FINISH (32 bytes). */
  host_data: Uint8Array;
  /** SHA-384 of the ID key struct, or 48 zero bytes without an ID block. */
  id_key_digest: Uint8Array;
  /** SHA-384 of the author key struct when AUTH_KEY_EN, else 48 zero bytes. */
  author_key_digest: Uint8Array;
  author_key_en: boolean;
  /** From the ID block (zeros / 0 without one). */
  family_id: Uint8Array;
  image_id: Uint8Array;
  guest_svn: number;
  /**
   * Random per launch (from the firmware's seeded stream), and the migration agent's (or
   * 0xFF..).
   */
  report_id: Uint8Array;
  report_id_ma: Uint8Array;
  /** CURRENT_TCB at LAUNCH_START. */
  launch_tcb: bigint;
  /** Mitigation vector at launch (report v5). */
  launch_mit_vector: bigint;
  /** LAUNCH_FINISH VCEK_DIS: reports and keys may not use the VCEK. */
  vcek_disabled: boolean;
  /** VMPCK0..3, 32 bytes each, generated at LAUNCH_START. */
  vmpck: readonly Uint8Array[];
}>;

export const GUEST_CONTEXT_SIZES = {
  measurement: 48, host_data: 32, id_key_digest: 48, author_key_digest: 48,
  family_id: 16, image_id: 16, report_id: 32, report_id_ma: 32,
} as const;

/** Asserts the byte sizes of a context made by our own launch code. */
export function assertGuestContext(context: GuestContext): GuestContext {
  for (const [name, size] of Object.entries(GUEST_CONTEXT_SIZES)) {
    const value = (context as Record<string, unknown>)[name];
    assert(value instanceof Uint8Array && value.length === size,
      `GuestContext.${name}: ${size} bytes`);
  }
  assert(context.vmpck.length === 4, 'GuestContext.vmpck: four keys');
  for (const key of context.vmpck) assert(key.length === 32, 'GuestContext.vmpck: 32 bytes each');
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
): Readonly<{ report_id: Uint8Array; vmpck: readonly Uint8Array[] }> {
  const secrets = {
    report_id: rng.fork('report_id').bytes(32),
    vmpck: Object.freeze([0, 1, 2, 3].map((i) => rng.fork(`vmpck${i}`).bytes(32))),
  };
  assert(secrets.report_id.length === 32);
  assert(secrets.vmpck.every((key) => key.length === 32));
  return secrets;
}

/**
 * Models: a GuestContext as LAUNCH_FINISH would leave it, built straight from field values
 * (SEV-SNP ABI spec 56860 GCTX; spec snp.md a.10, c.4) for tests and `parma-sim snp report`.
 * Real counterpart: the GCTX after SNP_LAUNCH_START/UPDATE/FINISH. Differs: no launch happens; the
 * measurement and ID-block fields are taken as given (the launch model computes them for real).
 * Invariants: REPORT_ID and the VMPCKs come from the guest's stream (the caller's fork, e.g.
 * snp/guest/<name>) with the same fork names the launch model uses; sizes are checked (SimError
 * for caller input); the same stream and fields give the same context; the caller's byte arrays
 * are copied into immutable hex, so changing them later changes nothing.
 */
import { assert } from '../../sim/kernel/assert.js';
import { isHexOf, toHex, type Hex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { Rng } from '../../sim/kernel/rng.js';
import {
  assertGuestContext, GUEST_CONTEXT_SIZES, launchSecrets, type GuestContext,
} from './guest-context.js';
import { GUEST_POLICY_QEMU_DEFAULT } from './guest-policy.js';

export type GuestContextFields = Readonly<{
  /** The guest's stream (REPORT_ID and VMPCKs), e.g. rng.fork('snp').fork('guest').fork(name). */
  rng: Rng;
  launchTcb: bigint;
  policy?: bigint;
  measurement?: Uint8Array;
  host_data?: Uint8Array;
  id_key_digest?: Uint8Array;
  author_key_digest?: Uint8Array;
  family_id?: Uint8Array;
  image_id?: Uint8Array;
  guest_svn?: number;
  report_id?: Uint8Array;
  report_id_ma?: Uint8Array;
  launch_mit_vector?: bigint;
  vcek_disabled?: boolean;
}>;

function sized(name: keyof typeof GUEST_CONTEXT_SIZES, value: Uint8Array | undefined,
  fill = 0): Hex {
  const size = GUEST_CONTEXT_SIZES[name];
  if (value === undefined) return toHex(new Uint8Array(size).fill(fill));
  if (value.length !== size) {
    throw new SimError('SNP_BAD_FIELD',
      { field: name, expectedBytes: size, actualBytes: value.length },
      `${name} must be ${size} bytes, got ${value.length}`);
  }
  return toHex(value);
}

export function guestContextFromFields(fields: GuestContextFields): GuestContext {
  const guestSvn = fields.guest_svn ?? 0;
  if (!Number.isInteger(guestSvn) || guestSvn < 0 || guestSvn > 0xffff_ffff) {
    throw new SimError('SNP_BAD_FIELD', { field: 'guest_svn', value: guestSvn },
      'guest_svn must be a u32');
  }
  const authorDigest = sized('author_key_digest', fields.author_key_digest);
  const secrets = launchSecrets(fields.rng);
  const context: GuestContext = Object.freeze({
    policy: fields.policy ?? GUEST_POLICY_QEMU_DEFAULT,
    measurement: sized('measurement', fields.measurement),
    host_data: sized('host_data', fields.host_data),
    id_key_digest: sized('id_key_digest', fields.id_key_digest),
    author_key_digest: authorDigest,
    author_key_en: /[^0]/.test(authorDigest),
    family_id: sized('family_id', fields.family_id),
    image_id: sized('image_id', fields.image_id),
    guest_svn: guestSvn,
    report_id: fields.report_id === undefined
      ? secrets.report_id
      : sized('report_id', fields.report_id),
    report_id_ma: sized('report_id_ma', fields.report_id_ma, 0xff),
    launch_tcb: fields.launchTcb,
    launch_mit_vector: fields.launch_mit_vector ?? 0n,
    vcek_disabled: fields.vcek_disabled ?? false,
    vmpck: secrets.vmpck,
  });
  assert(isHexOf(context.report_id, 32));
  return assertGuestContext(context);
}

/**
 * Goal: MSG_KEY_REQ derived keys mix exactly the spec b.3 fields, and the firmware's checks answer
 * with the AMD statuses.
 * Method: for each GUEST_FIELD_SELECT bit, change the field it names once with the bit set (the
 * key must change) and once with it clear (the key must not); always-mixed fields always change it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snpStream, rootOf, guestStream } from '../support/snp.js';
import { toHex } from '../../sim/kernel/bytes.js';
import {
  createFirmware, requestDerivedKey, type KeyRequest, type KeyResponse,
} from '../../models/snp/firmware.js';
import type { GuestContext } from '../../models/snp/guest-context.js';
import { guestContextFromFields } from '../../models/snp/guest-context-fields.js';
import {
  decodeMsgKeyReq, encodeMsgKeyReq, GUEST_FIELD_SELECT, guestFieldSelect, type GuestField,
} from '../../models/snp/guest-messages.js';
import { createPlatform, type PlatformState } from '../../models/snp/platform.js';
import { encodeTcb } from '../../models/snp/tcb-version.js';

const SUITE = 'snp/derived-key';
const platform = createPlatform({ rng: snpStream(21), product: 'Milan' });
const baseContext = guestContextFromFields({ rng: guestStream(21),
  launchTcb: platform.current_tcb, guest_svn: 5,
});
const baseRequest: KeyRequest = {
  key_select: 0, guest_field_select: 0n, vmpl: 0, guest_svn: 3,
  tcb_version: encodeTcb({ fmc: 0, bl: 4, tee: 0, snp: 24, ucode: 200 }, 'legacy'),
  launch_mit_vector: 0n,
};

function derive(request: Partial<KeyRequest> = {}, context: GuestContext = baseContext,
  on: PlatformState = platform, senderVmpl = 0): KeyResponse {
  return requestDerivedKey(createFirmware(rootOf(21), on), {
    context, senderVmpl, request: { ...baseRequest, ...request },
  });
}

function key(request: Partial<KeyRequest> = {}, context: GuestContext = baseContext): string {
  const response = derive(request, context);
  if (!('derived_key' in response)) throw new Error(`expected a key, got ${response.statusName}`);
  assert.is(response.derived_key.length, 32);
  return toHex(response.derived_key);
}

const withContext = (patch: Partial<GuestContext>): GuestContext => ({ ...baseContext, ...patch });

/** For each selectable field: how to change it (context or request). */
const CHANGES: Readonly<Record<GuestField, (gfs: bigint) => string>> = {
  guest_policy: (gfs) => key({ guest_field_select: gfs }, withContext({ policy: 0x3001fn })),
  image_id: (gfs) =>
    key({ guest_field_select: gfs }, withContext({ image_id: '02'.repeat(16) })),
  family_id: (gfs) =>
    key({ guest_field_select: gfs }, withContext({ family_id: '01'.repeat(16) })),
  measurement: (gfs) =>
    key({ guest_field_select: gfs }, withContext({ measurement: '09'.repeat(48) })),
  guest_svn: (gfs) => key({ guest_field_select: gfs, guest_svn: 4 }),
  tcb_version: (gfs) => key({
    guest_field_select: gfs,
    tcb_version: encodeTcb({ fmc: 0, bl: 3, tee: 0, snp: 24, ucode: 200 }, 'legacy'),
  }),
  launch_mit_vector: (gfs) => key({ guest_field_select: gfs, launch_mit_vector: 1n }),
};

test(`${SUITE}: the same request on the same chip gives the same key`, () => {
  assert.is(key(), key());
  assert.is(key({ guest_field_select: 0x7fn }), key({ guest_field_select: 0x7fn }));
});

for (const field of Object.keys(GUEST_FIELD_SELECT) as GuestField[]) {
  test(`${SUITE}: with GUEST_FIELD_SELECT.${field} set, changing ${field} changes the key`, () => {
    const gfs = guestFieldSelect([field]);
    assert.is.not(CHANGES[field](gfs), key({ guest_field_select: gfs }));
  });
  test(`${SUITE}: with GUEST_FIELD_SELECT.${field} clear, changing ${field} leaves the key`, () => {
    const others = 0x7fn & ~guestFieldSelect([field]);
    assert.is(CHANGES[field](others), key({ guest_field_select: others }));
  });
}

test(
  `${SUITE}: VMPL, HOST_DATA and the ID-key digest change the key whatever GUEST_FIELD_SELECT says`,
  () => {
    const base = key();
    assert.is.not(key({ vmpl: 1 }), base);
    assert.is.not(key({}, withContext({ host_data: '01'.repeat(32) })), base);
    assert.is.not(key({}, withContext({ id_key_digest: '01'.repeat(48) })), base);
  },
);

test(`${SUITE}: another chip (seed) gives another key for the same request`, () => {
  const other = createPlatform({ rng: snpStream(22), product: 'Milan' });
  const response = requestDerivedKey(createFirmware(rootOf(22), other), {
    context: baseContext, senderVmpl: 0, request: baseRequest,
  });
  assert.ok('derived_key' in response);
  assert.is.not(toHex(response.derived_key), key());
});

test(`${SUITE}: VMPL below the sender's is INVALID_PARAM`, () => {
  assert.is(derive({ vmpl: 0 }, baseContext, platform, 1).statusName, 'INVALID_PARAM');
  assert.is(derive({ vmpl: 1 }, baseContext, platform, 1).statusName, 'SUCCESS');
});

test(`${SUITE}: GUEST_SVN above the launch GUEST_SVN is INVALID_PARAM`, () => {
  assert.is(derive({ guest_svn: 6 }).statusName, 'INVALID_PARAM');
  assert.is(derive({ guest_svn: 5 }).statusName, 'SUCCESS');
});

test(`${SUITE}: TCB_VERSION above COMMITTED_TCB (any component) is INVALID_PARAM`, () => {
  assert.is(derive({
    tcb_version: encodeTcb({ fmc: 0, bl: 4, tee: 0, snp: 25, ucode: 0 }, 'legacy'),
  }).statusName, 'INVALID_PARAM');
  assert.is(derive({ tcb_version: platform.committed_tcb }).statusName, 'SUCCESS');
});

test(`${SUITE}: reserved TCB_VERSION bytes and GUEST_FIELD_SELECT bits are INVALID_PARAM`, () => {
  assert.is(derive({ tcb_version: 1n << 16n }).statusName, 'INVALID_PARAM');
  assert.is(derive({ guest_field_select: 1n << 7n }).statusName, 'INVALID_PARAM');
  assert.is(derive({ key_select: 1 << 3 }).statusName, 'INVALID_PARAM');
});

test(`${SUITE}: the chip root under MASK_CHIP_KEY is INVALID_KEY (0x27)`, () => {
  const masked = createPlatform({ rng: snpStream(21), product: 'Milan', maskChipKey: true });
  const response = derive({}, baseContext, masked);
  assert.is(response.statusName, 'INVALID_KEY');
  assert.is(response.status, 0x27);
});

test(`${SUITE}: VMRK without a migration agent is INVALID_PARAM`, () => {
  assert.is(derive({ key_select: 1 }).statusName, 'INVALID_PARAM');
  const withMa = withContext({ report_id_ma: '03'.repeat(32) });
  assert.is(derive({ key_select: 1 }, withMa).statusName, 'SUCCESS');
});

test(
  `${SUITE}: MSG_KEY_REQ bytes round-trip, and the 0x20-byte ` +
    `uapi form reads LAUNCH_MIT_VECTOR as 0`,
  () => {
    const request = {
      ...baseRequest, key_select: 1, guest_field_select: 0x3fn, launch_mit_vector: 5n,
    };
    const bytes = encodeMsgKeyReq(request);
    assert.is(bytes.length, 0x28);
    assert.equal(decodeMsgKeyReq(bytes), request);
    assert.is(decodeMsgKeyReq(bytes.subarray(0, 0x20)).launch_mit_vector, 0n);
  },
);

test.run();

/**
 * Goal: Create's GetUserInfo (agent-create.ts userInfoOf) reads /etc/passwd and /etc/group of the
 * container's own rootfs and refuses, before the policy is asked, what the GCS cannot resolve:
 * an id with no entry, a username with no rootfs to look it up in, a layer whose device is gone
 * or withheld, a tampered /etc/group; each refusal names the rootfs path, the id or the LUN it
 * is about. The memoised answer is keyed by every input: another umask, another list of
 * additional gids, another rootfs over the same layers, another withheld LUN, a null Root.Path
 * beside an empty one each get their own answer, not a neighbour's (the last was a bug: a null
 * and an empty Root.Path shared an entry, so the empty one's refusal said "(no rootfs)").
 * Method: the benign prefix of agent-support.ts up to the app container's Create, one field of
 * the request changed; the images' /etc/passwd and /etc/group (agent-support.ts) have uids 0,
 * 1000, 65534 and gids 0, 1000, 65534; /etc/group is in the base layer only, so a tampered
 * block of it is found by its bytes in that image. Expected reasons are the GCS's messages,
 * written out here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_AGENT_OPTIONS } from '../../models/guest/agent.js';
import {
  APP_ID, BENIGN, LUN, SANDBOX_ID, TARGET, benignPrefix, benignRequests, benignWorld, bootedGuest,
  combinedLayers, create, generatedPolicy, images, last, policyBytes, rootfsOf, run, scsiLayer,
  scsiScratch, text,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const E_FAIL = -2147467259;                             // 0x80004005
const OPEN = { ...generatedPolicy(), allow_all: true };
const OTHER_ID = 'ef'.repeat(32);

const withUser = (id: string, user: Record<string, unknown>) =>
  create(id, { process: { user: { uid: 1000, gid: 1000, ...user } } });

test('guest/user-info: a uid or gid with no entry in the image is refused before the policy, '
  + 'naming the rootfs and the id', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  for (const [user, reason] of [
    [{ uid: 5 }, 'expected exactly 1 user matched \'0\' for id 5'],
    [{ gid: 5 }, 'expected exactly 1 group matched \'0\' for id 5'],
    [{ additionalGids: [12] }, 'expected exactly 1 group matched \'0\' for id 12'],
    [{ additionalGids: [1, 2] }, 'expected exactly 1 group matched \'0\' for id 1'],
  ] as const) {
    const step = world.step(state, withUser(APP_ID, user));
    assertRefused(step, state, { layer: 'state' });
    assert.is(step.refusal?.reason, `resolving the user of ${rootfsOf(APP_ID)}: ${reason}`);
    assert.is(step.response.Result, E_FAIL);
    assert.is(step.decision, null, 'the policy was not asked');
  }
});

test('guest/user-info: two rootfs over the same layers each name themselves', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  const other = world.step(state, combinedLayers(OTHER_ID, [TARGET.appTop, TARGET.appBase]));
  assertAccepted(other);
  for (const id of [APP_ID, OTHER_ID]) {
    const step = world.step(other.state, withUser(id, { uid: 5 }));
    assertRefused(step, other.state, { layer: 'state' });
    assert.is(step.refusal?.reason,
      `resolving the user of ${rootfsOf(id)}: expected exactly 1 user matched '0' for id 5`);
  }
});

test('guest/user-info: the umask is each Create\'s own, as %04o', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate, OPEN);
  const umasks = [[undefined, '0022'], [0o077, '0077'], [0o002, '0002']] as const;
  for (const [umask, expected] of umasks) {
    const step = world.step(state, withUser(APP_ID, umask === undefined ? {} : { umask }));
    assertAccepted(step);
    assert.is(step.state.containers[APP_ID]?.context.config?.umask, expected);
  }
});

test('guest/user-info: a username is looked up in the rootfs at Root.Path; with no overlay '
  + 'there the GCS cannot open its /etc/passwd', () => {
  const { world, state } = benignPrefix(BENIGN.appBase);
  const step = world.step(state, withUser(APP_ID, { username: 'app' }));
  assertRefused(step, state, { layer: 'state' });
  assert.is(step.refusal?.reason, `failed to find user by username: app: open ${
    rootfsOf(APP_ID)}/etc/passwd: no such file or directory`);
  assert.is(step.response.Result, E_FAIL);
});

test('guest/user-info: a null and an empty Root.Path (rootfs_path relaxed) are told apart', () => {
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { rootfs_path: false } };
  const { world, state } = benignPrefix(BENIGN.pauseCreate, generatedPolicy(), options);
  const missing = 'failed to parse user str "root": failed to find user by username: root: '
    + 'open /etc/passwd: no such file or directory';
  for (const [root, named] of [[null, '(no rootfs)'], [{ path: '' }, '']] as const) {
    const step = world.step(state, create(SANDBOX_ID, { spec: { root },
      process: { user: { uid: 0, gid: 0, username: 'root' } } }));
    assertRefused(step, state, { layer: 'state' });
    assert.is(step.refusal?.reason, `resolving the user of ${named}: ${missing}`);
  }
});

test('guest/user-info: a layer whose device the host unmounted (unmount_in_use relaxed), or '
  + 'replaced by a scratch disk, is a read failure before the policy', () => {
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { unmount_in_use: false } };
  const { world, state } = benignPrefix(BENIGN.appCreate, OPEN, options);
  const gone = world.step(state, scsiLayer(LUN.appTop, TARGET.appTop, 'Remove'));
  assertAccepted(gone);
  world.attachScratch(9, 64);
  const replaced = world.step(gone.state, scsiScratch(9, TARGET.appTop));
  assertAccepted(replaced);
  for (const start of [gone.state, replaced.state]) {
    const step = world.step(start, create(APP_ID));
    assertRefused(step, start, { layer: 'io' });
    assert.is(step.refusal?.reason,
      `reading /etc/passwd: no read-only device at ${TARGET.appTop} any more`);
    assert.is(step.decision, null, 'the policy was not asked');
  }
});

test('guest/user-info: withheld layer devices name the top one\'s LUN, each time', () => {
  const policy = generatedPolicy();
  const bytes = policyBytes(policy);
  for (const lun of [LUN.appTop, 7]) {
    const world = benignWorld();
    world.attachLayer(lun, images().appTop);
    const requests = [...benignRequests(bytes).slice(0, BENIGN.appTop),
      scsiLayer(lun, TARGET.appTop), combinedLayers(APP_ID, [TARGET.appTop, TARGET.appBase])];
    const state = last(run(world, bootedGuest(bytes), requests).states);
    world.withheld.add(lun);
    world.withheld.add(LUN.appBase);
    const step = world.step(state, create(APP_ID));
    assertRefused(step, state, { layer: 'io' });
    assert.is(step.refusal?.reason, `no device at lun ${lun}: nothing at ${lun}`);
  }
});

test('guest/user-info: a tampered /etc/group block fails its dm-verity read before the '
  + 'policy', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  const at = Buffer.from(images().appBase.image).indexOf(text('root:x:0:\napp:x:1000:\n'));
  assert.ok(at > 0, '/etc/group is in the base image');
  const block = Math.floor(at / 4096);
  world.tamperLayer(LUN.appBase, block, new Uint8Array(4096));
  const step = world.step(state, create(APP_ID));
  assertRefused(step, state, { layer: 'verity', code: 'GUEST_VERITY_READ_ERROR' });
  assert.is(step.refusal?.reason, `reading /etc/group from ${TARGET.appBase}: `
    + 'GUEST_VERITY_READ_ERROR: dm-verity: read error (data block mismatch) at data block '
    + `${block}`);
  assert.is(step.decision, null, 'the policy was not asked');
});

test.run();

/**
 * Goal: the user a container's init process runs as (agent-create.ts runningUser). A sandbox is
 * not a workload container, so its OCI username is not resolved to ids (no SetUserStr): the
 * policy is asked about the user the name gives, runc is given the host's ids, and the record
 * names those ids through the image (GetUserInfo by uid and gid), "" where the image has no
 * entry. When runc gets the policy's ids the policy's names are kept, even where a second user
 * shares the uid (a lookup by uid would fail there). A workload container's username is resolved
 * to ids before the policy is asked, so the two agree.
 * Method: the benign prefix of agent-support.ts up to the pause container's Create, over a pause
 * image written here whose /etc/passwd has root 0:0, app 1000:1000 and two users (alias, alias2)
 * with uid 2000, and whose /etc/group has root 0, app 1000, staff 2000; the policy is
 * generatedPolicy() with that image as the pause container's layer (its user rule allows any).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildLayerImage } from '../../models/guest/layer-image.js';
import {
  BENIGN, LUN, PAUSE_TREE, SANDBOX_ID, benignRequests, benignWorld, bootedGuest, create,
  generatedPolicy, last, policyBytes, run, text,
} from './agent-support.js';
import { assertAccepted } from './agent-assert.js';

const IMAGE = buildLayerImage({ ...PAUSE_TREE,
  '/etc/passwd': { kind: 'file', content: text('root:x:0:0:root:/:/pause\n'
    + 'app:x:1000:1000::/:/pause\nalias:x:2000:2000::/:/pause\nalias2:x:2000:2000::/:/pause\n') },
  '/etc/group': { kind: 'file', content: text('root:x:0:\napp:x:1000:\nstaff:x:2000:\n') },
});

function sandboxPrefix() {
  const base = generatedPolicy();
  const policy = { ...base, containers: [{ ...base.containers[0]!, layers: [IMAGE.rootHash] },
    base.containers[1]!] };
  const bytes = policyBytes(policy);
  const world = benignWorld();
  world.attachLayer(LUN.pause, IMAGE);
  const { states } = run(world, bootedGuest(bytes),
    benignRequests(bytes).slice(0, BENIGN.pauseCreate));
  return { world, state: last(states) };
}

/** The sandbox's Create with `user`: the user and groups its record runs as. */
function runsAs(user: Record<string, unknown>) {
  const { world, state } = sandboxPrefix();
  const step = world.step(state, create(SANDBOX_ID, { process: { user } }));
  assertAccepted(step);
  const config = step.state.containers[SANDBOX_ID]?.context.config;
  const traced = step.events.find((e) => e.type === 'container_created')?.data as
    Readonly<{ user: string }> | undefined;
  assert.is(traced?.user, config?.user.name, 'traced with the name it runs as');
  return { user: config?.user, groups: config?.groups };
}

test('guest/running-user: a sandbox runs as the host\'s ids, named through the image, not as '
  + 'the ids its username names', () => {
  assert.equal(runsAs({ uid: 1000, gid: 0, username: 'app' }),
    { user: { uid: 1000, gid: 0, name: 'app' }, groups: [{ id: 0, name: 'root' }] });
  assert.equal(runsAs({ uid: 0, gid: 1000, username: 'app' }),
    { user: { uid: 0, gid: 1000, name: 'root' }, groups: [{ id: 1000, name: 'app' }] });
});

test('guest/running-user: ids the image has no entry for are named ""', () => {
  assert.equal(runsAs({ uid: 4242, gid: 4242, additionalGids: [2000], username: 'app' }),
    { user: { uid: 4242, gid: 4242, name: '' },
      groups: [{ id: 4242, name: '' }, { id: 2000, name: '' }] });
});

test('guest/running-user: runc given the policy\'s ids keeps the policy\'s names, though a '
  + 'second user shares the uid', () => {
  assert.equal(runsAs({ uid: 2000, gid: 2000, username: 'alias' }),
    { user: { uid: 2000, gid: 2000, name: 'alias' }, groups: [{ id: 2000, name: 'staff' }] });
  assert.equal(runsAs({ uid: 0, gid: 0 }),
    { user: { uid: 0, gid: 0, name: 'root' }, groups: [{ id: 0, name: 'root' }] });
});

test.run();

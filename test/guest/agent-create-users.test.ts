/**
 * Goal: Create resolves an OCI username through the image's /etc/passwd before the policy is
 * asked (hcsv2 SetUserStr), so the container runs as the ids the name has in the image whatever
 * ids the host put beside it; an unknown name is denied by the policy as an invalid user. The
 * concurrent agent (sequential_requests off) acts on a pending Create later, and fails it when
 * the host has unmounted the rootfs in between (create_failed, the ID used up); an init process
 * cannot start once its rootfs is gone.
 * Method: the benign prefix of agent-support.ts up to the app container's Create; its image's
 * /etc/passwd maps app to 1000:1000 (agent-support.ts APP_BASE_TREE).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_AGENT_OPTIONS } from '../../models/guest/agent.js';
import {
  APP_ID, BENIGN, benignPrefix, combinedLayers, create, generatedPolicy, rootfsOf, startInit,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

test('guest/create-users: a username is resolved in the image, over the ids the host sent', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  const step = world.step(state, create(APP_ID,
    { process: { user: { uid: 0, gid: 0, username: 'app' } } }));
  assertAccepted(step);
  assert.equal(step.state.containers[APP_ID]?.context.config?.user,
    { uid: 1000, gid: 1000, name: 'app' });
  const unknown = world.step(state, create(APP_ID,
    { process: { user: { uid: 1000, gid: 1000, username: 'nobody' } } }));
  assertRefused(unknown, state, { layer: 'policy', rule: 'create_container',
    reason: 'invalid user' });
});

test('guest/create-users: the concurrent agent fails a pending Create whose rootfs the host '
  + 'unmounted, and traces it', () => {
  const options = { ...DEFAULT_AGENT_OPTIONS, checks: { sequential_requests: false } };
  const { world, state } = benignPrefix(BENIGN.appCreate, generatedPolicy(), options);
  const pending = world.step(state, create(APP_ID));
  assertAccepted(pending);
  const unmounted = world.step(pending.state, combinedLayers(APP_ID, [], 'Remove'));
  assertAccepted(unmounted);
  assert.ok(unmounted.state.pendingCreate !== null, 'a mount does not wait for the create');
  const next = world.step(unmounted.state, startInit(APP_ID));
  assert.equal(next.events.filter((e) => e.type === 'create_failed').map((e) => e.data),
    [{ containerId: APP_ID, reason: `failed to create container: no rootfs is mounted at ${
      rootfsOf(APP_ID)}` }]);
  assert.is(next.state.pendingCreate, null);
  assert.is(next.state.containers[APP_ID]?.value, 'deleted', 'the ID is used up');
  assertRefused(next, unmounted.state, { layer: 'state', changes: true,
    reason: `container ${APP_ID} not found` });
});

test('guest/create-users: an init process does not start once its rootfs is unmounted', () => {
  const { world, state } = benignPrefix(BENIGN.appStart);
  const unmounted = world.step(state, combinedLayers(APP_ID, [], 'Remove'));
  assertAccepted(unmounted);
  const start = world.step(unmounted.state, startInit(APP_ID));
  assertRefused(start, unmounted.state, { layer: 'state' });
  assert.is(start.refusal?.reason, `the rootfs of ${APP_ID} is no longer mounted`);
});

test.run();

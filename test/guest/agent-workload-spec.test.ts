/**
 * Goal: the GCS's changes to a workload container's spec before the policy is asked (hcsv2
 * setupWorkloadContainerSpec) — `sandbox://` and `hugepages://` mount sources rewritten under
 * the sandbox's directories (made on the way), the OCI username resolved from the container's
 * own /etc/passwd — and what an exec runs as (Container.ExecProcess).
 * Method: the benign prefix of agent-support.ts up to the app's Create, then a Create whose spec
 * carries such mounts or a username; expected paths are the GCS's path rules applied by hand to
 * the test's IDs, users come from the test images' /etc/passwd.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MountRule, PolicyContainer } from '../../models/policy/policy-model.js';
import {
  APP_ID, BENIGN, SANDBOX_ID, benignPrefix, create, exec, generatedPolicy, startInit,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const MOUNT_OPTIONS = ['rbind', 'rshared', 'rw'];
const RESOLV: MountRule = { destination: '/etc/resolv.conf', options: MOUNT_OPTIONS,
  source: 'sandbox:///tmp/atlas/resolvconf/.+', type: 'bind' };
// framework.rego replaces the prefix by hugePagesDir (no trailing slash), so the rule carries
// the separator; the host's source does not (the GCS takes the page size from its first part).
const HUGE: MountRule = { destination: '/dev/hugepages', options: MOUNT_OPTIONS,
  source: 'hugepages:///2M/.+', type: 'bind' };
const SANDBOX_MOUNTS = `/run/gcs/c/${SANDBOX_ID}/sandboxMounts`;

const mount = (destination: string, source: string) =>
  ({ destination, source, type: 'bind', options: MOUNT_OPTIONS });

/** The state just before the app's Create, under a policy whose app has `rules` as mounts. */
function beforeAppCreate(rules: readonly MountRule[] = [RESOLV, HUGE],
  user?: PolicyContainer['user']) {
  return benignPrefix(BENIGN.appOverlay + 1, generatedPolicy({}, { mounts: [...rules],
    ...(user === undefined ? {} : { user }) }));
}

test('guest/workload-spec: a sandbox:// source is rewritten under the sandbox\'s sandboxMounts '
  + 'before create_container, and its directory is made', () => {
  const { world, state } = beforeAppCreate();
  const step = world.step(state, create(APP_ID, { spec: { mounts: [
    mount('/etc/resolv.conf', 'sandbox:///tmp/atlas/resolvconf/r1')] } }));
  assertAccepted(step);
  const expected = `${SANDBOX_MOUNTS}/tmp/atlas/resolvconf/r1`;
  const config = step.state.containers[APP_ID]!.context.config!;
  assert.equal(config.mounts.map((m) => m.source), [expected]);
  assert.equal(step.state.mountSources[expected], { sandboxId: SANDBOX_ID, kind: 'dir',
    pageSize: null });
});

test('guest/workload-spec: a hugepages:// source is rewritten under .../hugepages and mounted '
  + 'as hugetlbfs with its page size', () => {
  const { world, state } = beforeAppCreate();
  const step = world.step(state, create(APP_ID, { spec: { mounts: [
    mount('/dev/hugepages', 'hugepages://2M/h1')] } }));
  assertAccepted(step);
  const expected = `/run/gcs/c/${SANDBOX_ID}/hugepages/2M/h1`;
  assert.equal(step.state.mountSources[expected], { sandboxId: SANDBOX_ID, kind: 'hugetlbfs',
    pageSize: '2M' });
});

test('guest/workload-spec: a hugepages source with a page size the kernel lacks fails the mount '
  + 'before the policy, its directory left made', () => {
  const { world, state } = beforeAppCreate([RESOLV, { ...HUGE, source: 'hugepages:///3M/.+' }]);
  const step = world.step(state, create(APP_ID, { spec: { mounts: [
    mount('/dev/hugepages', 'hugepages://3M/h1')] } }));
  const path = `/run/gcs/c/${SANDBOX_ID}/hugepages/3M/h1`;
  assertRefused(step, state, { layer: 'state', changes: true, reason: 'failed to update '
    + `hugepages mounts for container ${APP_ID} in sandbox ${SANDBOX_ID}: mount operation `
    + `failed for ${path}` });
  assert.is(step.decision, null, 'the policy was not asked');
  assert.is(step.state.mountSources[path]?.kind, 'dir');
});

test('guest/workload-spec: a sandbox:// source that climbs out of sandboxMounts is refused '
  + 'before the policy', () => {
  const { world, state } = beforeAppCreate();
  const step = world.step(state, create(APP_ID, { spec: { mounts: [
    mount('/etc/resolv.conf', 'sandbox://../../../../../etc')] } }));
  assertRefused(step, state, { layer: 'state', reason: 'mount path /etc for mount '
    + 'sandbox://../../../../../etc is not within sandbox\'s mounts dir' });
  assert.is(step.decision, null, 'the policy was not asked');
});

test('guest/workload-spec: the GCS\'s prefix check has no trailing slash: a sibling of '
  + 'sandboxMounts passes it (the directory is made) and only the policy stops the mount', () => {
  const { world, state } = beforeAppCreate();
  const step = world.step(state, create(APP_ID, { spec: { mounts: [
    mount('/etc/resolv.conf', 'sandbox://../sandboxMountsX/tmp/atlas/resolvconf/r1')] } }));
  assertRefused(step, state, { layer: 'policy', rule: 'create_container', changes: true,
    reason: 'invalid mount list' });
  assert.ok(Object.hasOwn(step.state.mountSources,
    `/run/gcs/c/${SANDBOX_ID}/sandboxMountsX/tmp/atlas/resolvconf/r1`));
  assert.is(step.state.containers[APP_ID]?.value, state.containers[APP_ID]?.value);
});

test('guest/workload-spec: an OCI username is resolved from the container\'s own /etc/passwd '
  + '(uid 0 as containerd sends it becomes the user\'s uid)', () => {
  const { world, state } = beforeAppCreate([]);
  const step = world.step(state, create(APP_ID, { process: { user: { uid: 0, gid: 0,
    username: 'app' } } }));
  assertAccepted(step);
  const config = step.state.containers[APP_ID]!.context.config!;
  assert.equal(config.user, { uid: 1000, gid: 1000, name: 'app' });
  assert.is(config.username, 'app');
});

test('guest/workload-spec: a username the rootfs does not define is refused before the policy',
  () => {
  const { world, state } = beforeAppCreate([]);
  const step = world.step(state, create(APP_ID, { process: { user: { uid: 1000, gid: 1000,
    username: 'ghost' } } }));
  assertRefused(step, state, { layer: 'state',
    reason: "failed to find user by username: ghost: expected exactly 1 user matched '0'" });
  assert.is(step.decision, null, 'the policy was not asked');
});

test('guest/workload-spec: a username that resolves to a user the policy does not name is '
  + 'denied by create_container', () => {
  const { world, state } = beforeAppCreate([]);
  const step = world.step(state, create(APP_ID, { process: { user: { uid: 1000, gid: 1000,
    username: 'nobody' } } }));
  assertRefused(step, state, { layer: 'policy', rule: 'create_container', reason: 'invalid user' });
});

test('guest/workload-spec: an exec without a username in a container created with one runs as '
  + 'the container\'s user, whatever ids it carried to the policy', () => {
  const anyUser = { user_idname: { pattern: '', strategy: 'any' as const },
    group_idnames: [{ pattern: '', strategy: 'any' as const }], umask: '0022' };
  const { world, state } = beforeAppCreate([], anyUser);
  const created = world.step(state, create(APP_ID, { process: { user: { uid: 0, gid: 0,
    username: 'app' } } }));
  assertAccepted(created);
  const started = world.step(created.state, startInit(APP_ID));
  assertAccepted(started);
  const probe = world.step(started.state, exec(APP_ID, ['/bin/sh', '-c', 'echo ok'],
    { user: { uid: 0, gid: 0 } }));
  assertAccepted(probe);
  const pid = String((probe.response as { ProcessId: number }).ProcessId);
  assert.equal(probe.state.processes[pid]!.user, { uid: 1000, gid: 1000, name: 'app' });
  const own = world.step(probe.state, exec(APP_ID, ['/bin/sh', '-c', 'echo ok'],
    { user: { uid: 0, gid: 0, username: 'root' } }));
  assertAccepted(own);
  const ownPid = String((own.response as { ProcessId: number }).ProcessId);
  assert.equal(own.state.processes[ownPid]!.user, { uid: 0, gid: 0, name: 'root' });
});

test.run();

/**
 * Goal: a workload container's sandbox:// and hugepages:// mount sources (agent-create.ts
 * prepareWorkload, hcsv2 setupWorkloadContainerSpec) are made as directories under the sandbox
 * before the policy is asked, traced as mount_sources_made, and kept even when the policy then
 * denies the create (the real GCS made them); a source that escapes the sandbox's directory is
 * refused before the policy with nothing made.
 * Method: the benign prefix of agent-support.ts up to the app container's Create, with one mount
 * added to its OCI spec (generatedPolicy() names no mounts, so create_container denies it); the
 * expected paths are /run/gcs/c/<sandbox>/sandboxMounts/... and .../hugepages/..., by hand.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { APP_ID, BENIGN, SANDBOX_ID, benignPrefix, create } from './agent-support.js';
import { assertRefused } from './agent-assert.js';

const withMount = (source: string) => create(APP_ID, { spec: { mounts: [{ destination: '/data',
  source, type: 'bind', options: ['rbind'] }] } });

test('guest/create-mounts: sandbox and hugepages sources are made before the policy, and kept '
  + 'when it denies', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  for (const [source, path, kind, pageSize] of [
    ['sandbox://data', `/run/gcs/c/${SANDBOX_ID}/sandboxMounts/data`, 'dir', null],
    ['hugepages://2M/x', `/run/gcs/c/${SANDBOX_ID}/hugepages/2M/x`, 'hugetlbfs', '2M'],
  ] as const) {
    const step = world.step(state, withMount(source));
    assertRefused(step, state, { layer: 'policy', rule: 'create_container', changes: true });
    assert.equal(step.events.filter((e) => e.type === 'mount_sources_made').map((e) => e.data),
      [{ paths: [path] }]);
    assert.equal(step.state.mountSources, { [path]: { sandboxId: SANDBOX_ID, kind, pageSize } });
    const again = world.step(step.state, withMount(source));
    assert.not.ok(again.events.some((e) => e.type === 'mount_sources_made'), 'made once');
  }
});

test('guest/create-mounts: a source outside the sandbox\'s mounts directory is refused, nothing '
  + 'made', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  const step = world.step(state, withMount('sandbox://../../etc'));
  assertRefused(step, state, { layer: 'state' });
  assert.is(step.refusal?.reason, `failed to update sandbox mounts for container ${APP_ID} in `
    + `sandbox ${SANDBOX_ID}: mount path /run/gcs/c/etc for mount sandbox://../../etc is not `
    + 'within sandbox\'s mounts dir');
  assert.is(step.decision, null, 'the policy was not asked');
});

test.run();

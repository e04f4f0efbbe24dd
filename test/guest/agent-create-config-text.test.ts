/**
 * Goal: the config.json the agent writes (agent-create.ts configJson, configText) carries each
 * mount as the host sent it with its source as rewritten, keeps a null mounts list as null, and,
 * though it is cached per host ContainerConfig text, follows what the text does not fix: the
 * uid and gid the image's /etc/passwd gives a username, and the env the policy leaves (two drop
 * lists whose kept variables run together alike still give two env lists). A Create traces as
 * made only the mount-source directories it made itself.
 * Method: the benign prefix of agent-support.ts up to the app container's Create; config.json is
 * read back from the encrypted scratch disk through scratch-files.ts. The second image is the
 * app image with /etc/passwd mapping app to 3000:3000 (open-door policy, so its layer is
 * allowed); expected values are the test's own inputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GuestState, RwDeviceMount } from '../../models/guest/guest-state.js';
import { buildLayerImage } from '../../models/guest/layer-image.js';
import { readScratchFile } from '../../models/guest/scratch-files.js';
import {
  APP_ID, APP_TOP_TREE, BENIGN, LUN, SANDBOX_ID, TARGET, benignPrefix, benignRequests,
  benignWorld, bootedGuest, create, generatedPolicy, last, policyBytes, run, text,
  type TestWorld,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const OPEN = { ...generatedPolicy(), allow_all: true };

function configJson(world: TestWorld, state: GuestState): Record<string, unknown> {
  const device = state.devices[TARGET.scratch] as RwDeviceMount;
  const bytes = readScratchFile(state, world.io, device, `scratch/${APP_ID}/config.json`);
  assert.ok(bytes instanceof Uint8Array, 'config.json is on the scratch disk');
  return JSON.parse(Buffer.from(bytes).toString()) as Record<string, unknown>;
}

function created(policy = generatedPolicy(), overrides: Parameters<typeof create>[1] = {}) {
  const { world, state } = benignPrefix(BENIGN.appCreate, policy);
  const step = world.step(state, create(APP_ID, overrides));
  assertAccepted(step);
  return configJson(world, step.state);
}

test('guest/config-text: each mount is written as sent, with its source as rewritten', () => {
  const mount = { destination: '/data', type: 'bind', options: ['rbind', 'ro'] };
  assert.equal(created(OPEN, { spec: { mounts: [{ ...mount, source: 'sandbox://data' }] } })
    ['mounts'], [{ ...mount, source: `/run/gcs/c/${SANDBOX_ID}/sandboxMounts/data` }]);
});

test('guest/config-text: a null mounts list stays null', () => {
  const spec = created(generatedPolicy(), { spec: { mounts: null } });
  assert.ok(Object.hasOwn(spec, 'mounts'), 'mounts is written');
  assert.is(spec['mounts'], null);
});

test('guest/config-text: one host text over two images gives the uid and gid each image\'s '
  + '/etc/passwd names', () => {
  const user = { process: { user: { uid: 0, gid: 0, username: 'app' } } };
  const ids = (spec: Record<string, unknown>) =>
    (spec['process'] as { user: Record<string, unknown> }).user;
  assert.equal(ids(created(generatedPolicy(), user)), { uid: 1000, gid: 1000, username: 'app' });
  const top = buildLayerImage({ ...APP_TOP_TREE,
    '/etc/passwd': { kind: 'file', content: text('root:x:0:0:root:/root:/bin/sh\n'
      + 'app:x:3000:3000::/home/app:/bin/sh\n') } });
  const bytes = policyBytes(OPEN);
  const world = benignWorld();
  world.attachLayer(LUN.appTop, top);
  const state = last(run(world, bootedGuest(bytes),
    benignRequests(bytes).slice(0, BENIGN.appCreate)).states);
  const step = world.step(state, create(APP_ID, user));
  assertAccepted(step);
  assert.equal(ids(configJson(world, step.state)), { uid: 3000, gid: 3000, username: 'app' });
});

test('guest/config-text: one host text, two drop lists whose kept variables run together '
  + 'alike, two env lists', () => {
  const env = ['A=1', 'B=2', 'A=1B=2'];
  for (const kept of [['A=1', 'B=2'], ['A=1B=2']]) {
    const policy = generatedPolicy({ allow_environment_variable_dropping: true }, {
      env_rules: kept.map((pattern) => ({ pattern, strategy: 'string', required: false })) });
    const spec = created(policy, { process: { env } });
    assert.equal((spec['process'] as { env: string[] }).env, kept);
  }
});

test('guest/config-text: a Create traces only the mount-source directories it made', () => {
  const { world, state } = benignPrefix(BENIGN.appCreate);
  const mount = (source: string) => ({ destination: `/${source.slice(10)}`, source,
    type: 'bind', options: ['rbind'] });
  const first = world.step(state, create(APP_ID, { spec: { mounts: [mount('sandbox://data')] } }));
  assertRefused(first, state, { layer: 'policy', changes: true });
  const second = world.step(first.state, create(APP_ID,
    { spec: { mounts: [mount('sandbox://data'), mount('sandbox://more')] } }));
  assert.equal(second.events.filter((e) => e.type === 'mount_sources_made').map((e) => e.data),
    [{ paths: [`/run/gcs/c/${SANDBOX_ID}/sandboxMounts/more`] }]);
});

test.run();

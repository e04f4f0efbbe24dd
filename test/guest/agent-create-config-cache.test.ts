/**
 * Goal: the config.json text is cached per host ContainerConfig text, yet follows each decision:
 * the same host text gives a config.json without the dropped variable where the policy dropped
 * it, and with it where an open-door policy let it through (configText's amendment check).
 * Method: the app container's Create with an injected LD_PRELOAD, first under generatedPolicy()
 * with environment-variable dropping, then (same process, same ContainerConfig text) under the
 * open-door (allow_all) policy; config.json is read back from the scratch disk.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readScratchFile } from '../../models/guest/scratch-files.js';
import type { RwDeviceMount } from '../../models/guest/guest-state.js';
import {
  APP_ID, BENIGN, TARGET, benignPrefix, create, generatedPolicy, type TestWorld,
} from './agent-support.js';
import { assertAccepted } from './agent-assert.js';
import type { GuestState } from '../../models/guest/guest-state.js';

const ENV = ['PATH=/usr/bin', 'MODE=fast', 'LD_PRELOAD=/tmp/evil.so'];

function configEnv(world: TestWorld, state: GuestState): string[] {
  const device = state.devices[TARGET.scratch] as RwDeviceMount;
  const bytes = readScratchFile(state, world.io, device, `scratch/${APP_ID}/config.json`);
  assert.ok(bytes instanceof Uint8Array);
  return (JSON.parse(Buffer.from(bytes).toString()) as { process: { env: string[] } })
    .process.env;
}

test('guest/config-cache: one host config text, two decisions, two config.json files', () => {
  const dropping = benignPrefix(BENIGN.appCreate,
    generatedPolicy({ allow_environment_variable_dropping: true }));
  const dropped = dropping.world.step(dropping.state, create(APP_ID, { process: { env: ENV } }));
  assertAccepted(dropped);
  assert.equal(configEnv(dropping.world, dropped.state).sort(), ['MODE=fast', 'PATH=/usr/bin']);
  const open = benignPrefix(BENIGN.appCreate, { ...generatedPolicy(), allow_all: true });
  const kept = open.world.step(open.state, create(APP_ID, { process: { env: ENV } }));
  assertAccepted(kept);
  assert.equal(configEnv(open.world, kept.state), ENV);
});

test.run();

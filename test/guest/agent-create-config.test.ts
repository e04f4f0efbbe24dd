/**
 * Goal: the config.json the agent writes for runc (agent-create.ts configJson) is the host's OCI
 * spec with exactly the GCS's amendments: the user's uid and gid as resolved from the image's
 * /etc/passwd, env and capabilities as the policy left them, /dev/sev-guest added to the
 * devices, everything else as the host sent it; and the init marker records pid and argv.
 * Method: the benign run of agent-support.ts (the app container's user is named `app` in the
 * policy and 1000:1000 in the spec, its base layer's /etc/passwd maps app to 1000); the files
 * are read back from the encrypted scratch disk through scratch-files.ts, as runc would read
 * them; expected values are the test's own inputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readScratchFile } from '../../models/guest/scratch-files.js';
import type { GuestState, RwDeviceMount } from '../../models/guest/guest-state.js';
import {
  APP_ID, CAPS, SANDBOX_ID, TARGET, benignRun, last, rootfsOf, type TestWorld,
} from './agent-support.js';

function scratchJson(world: TestWorld, state: GuestState, path: string): unknown {
  const device = state.devices[TARGET.scratch] as RwDeviceMount;
  const bytes = readScratchFile(state, world.io, device, path);
  assert.ok(bytes instanceof Uint8Array, `${path} is on the scratch disk`);
  return JSON.parse(Buffer.from(bytes).toString());
}

test('guest/config: config.json is the host\'s spec with resolved ids, the policy\'s env and '
  + 'caps, and /dev/sev-guest', () => {
  const { world, states } = benignRun();
  const state = last(states);
  const spec = scratchJson(world, state, `scratch/${APP_ID}/config.json`) as
    Record<string, unknown>;
  assert.equal(spec, {
    ociVersion: '1.1.0',
    process: { terminal: false, user: { uid: 1000, gid: 1000 },
      args: ['/app/server', '--port', '80'], env: ['PATH=/usr/bin', 'MODE=fast'], cwd: '/app',
      capabilities: CAPS, noNewPrivileges: false },
    root: { path: rootfsOf(APP_ID), readonly: false },
    hostname: 'group-1',
    mounts: [],
    annotations: { 'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.sandbox-id': SANDBOX_ID },
    linux: { devices: [{ path: '/dev/sev-guest' }] },
  });
});

test('guest/config: the init marker records the pid and argv the container started with', () => {
  const { world, states } = benignRun();
  const state = last(states);
  const pid = state.containers[SANDBOX_ID]!.context.initPid!;
  assert.equal(scratchJson(world, state, `scratch/${SANDBOX_ID}/init.started`),
    { pid, args: ['/pause'] });
  const appPid = state.containers[APP_ID]!.context.initPid!;
  assert.equal(scratchJson(world, state, `scratch/${APP_ID}/init.started`),
    { pid: appPid, args: ['/app/server', '--port', '80'] });
  assert.is(appPid, pid + 1, 'pids are handed out in order');
});

test.run();

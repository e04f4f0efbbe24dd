/**
 * Goal: the benign deployment works end to end (issue 8 "The benign run", DESIGN C1): launch,
 * the policy accepted against HOST_DATA, layers mounted and verified, every container created and
 * running, exec probes, graceful shutdown; scratch blocks on the host's disk hold no plaintext.
 * Method: the generated two-container workload (real images, computed roots) must succeed in
 * every step; the guest's own records (containers, processes) are read after the last create;
 * plaintext is searched for as the strings the guest wrote (the OCI args and env). The shared
 * policies are deployed in shared-policies.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexBytes } from '../../sim/kernel/bytes.js';
import { sealedBlocks } from '../../models/host/storage.js';
import { deployBenign, runActions, type BenignRun } from '../../sim/world.js';
import { generatedWorld } from './world-support.js';

function lastIndex(run: BenignRun, prefix: string): number {
  return run.rows.map((row) => row.note.startsWith(prefix)).lastIndexOf(true);
}

test('world/benign: the generated workload deploys end to end, every step succeeds', () => {
  const run = deployBenign(generatedWorld(1));
  const refused = run.rows.filter((row) => row.result.outcome !== 'ok');
  assert.equal(refused.map((row) => `${row.note}: ${row.result.reason}`), []);
  assert.equal(run.notDeployed, []);
  assert.is(run.world.state.guest?.uvm.value, 'stopped');
  const policySet = run.rows.find((row) => row.note === 'set the security policy')!;
  assert.is(policySet.result.outcome, 'ok');
});

test('world/benign: after the last create every container is running with its policy argv', () => {
  const world = generatedWorld(1);
  const run = deployBenign(world);
  const upTo = lastIndex(run, 'exec probe');
  const state = runActions(world, run.actions.slice(0, upTo + 1)).world.state.guest!;
  const records = Object.values(state.containers);
  assert.is(records.length, 3);
  assert.ok(records.every((record) => record.value === 'running'));
  const argv = Object.values(state.processes).filter((p) => p.kind === 'init')
    .map((p) => p.argv.join(' ')).sort();
  assert.equal(argv, ['/bin/side', '/pause', '/usr/bin/web --port 80']);
  const probes = Object.values(state.processes).filter((p) => p.kind === 'exec');
  assert.equal(probes.map((p) => p.argv[0]).sort(), ['/bin/side', '/usr/bin/web']);
  const devices = Object.values(state.devices);
  assert.is(devices.filter((d) => d.kind === 'ro_verity').length, 5, 'five layers verified');
  assert.ok(devices.some((d) => d.kind === 'rw_scratch' && d.encrypted));
});

test('world/benign: the scratch blocks on the host disk hold no plaintext of what the guest ' +
  'wrote', () => {
  const run = deployBenign(generatedWorld(1));
  const scratch = run.world.state.host.storage.disks['scratch0'];
  assert.ok(scratch !== undefined && scratch.kind === 'scratch');
  const blocks = Object.values(sealedBlocks(scratch, run.world.store));
  assert.ok(blocks.length >= 3, 'the guest wrote configs and markers');
  const host = Buffer.concat(blocks.map((hex) => hexBytes(hex)));
  for (const secret of ['/usr/bin/web', 'PATH=/usr/bin', 'ociVersion', '"args"', 'init']) {
    assert.is(host.indexOf(Buffer.from(secret)), -1, `"${secret}" is not on the host's disk`);
  }
});

test.run();

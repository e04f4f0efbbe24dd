/**
 * Goal: the benign deployment works end to end (issue 8 "The benign run", DESIGN C1): launch,
 * the policy accepted against HOST_DATA, layers mounted and verified, every container created and
 * running, exec probes, graceful shutdown; scratch blocks on the host's disk hold no plaintext;
 * for the shared policies, containers whose command is null are reported as not deployable with
 * the framework's reason, and the run is tabulated (what deployed, where it stopped).
 * Method: the generated two-container workload (real images, computed roots) must succeed in
 * every step; the guest's own records (containers, processes) are read after the last create;
 * plaintext is searched for as the strings the guest wrote (the OCI args and env). Shared
 * policies run with stand-in images: their rows are printed, and asserted where the outcome does
 * not depend on the guest reading a stand-in's declared root hash.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexBytes } from '../../sim/kernel/bytes.js';
import { deployBenign, runActions, type BenignRun } from '../../sim/world.js';
import { NULL_COMMAND_REASON } from '../../sim/world-deployment.js';
import { readSourcesTable } from '../policy/sources-table.js';
import { TESTDATA_DIR, testdata } from '../support/paths.js';
import { generatedWorld, sharedPolicyWorld } from './world-support.js';

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

test('world/benign: the scratch blocks on the host disk hold no plaintext of what the guest wrote', () => {
  const run = deployBenign(generatedWorld(1));
  const scratch = run.world.state.host.storage.disks['scratch0'];
  assert.ok(scratch !== undefined && scratch.kind === 'scratch');
  const blocks = Object.values(scratch.sealed);
  assert.ok(blocks.length >= 3, 'the guest wrote configs and markers');
  const host = Buffer.concat(blocks.map((hex) => hexBytes(hex)));
  for (const secret of ['/usr/bin/web', 'PATH=/usr/bin', 'ociVersion', '"args"', 'init']) {
    assert.is(host.indexOf(Buffer.from(secret)), -1, `"${secret}" is not on the host's disk`);
  }
});

/** The shared policies that have containers (SOURCES.md rows that load as policies). */
function sharedPolicies(): string[] {
  if (testdata('world/benign', 'policies') === undefined) return [];
  return readSourcesTable(`${TESTDATA_DIR}/policies`).filter((row) => row.hostData !== undefined)
    .map((row) => row.file)
    .filter((file) => {
      const text = readFileSync(`${TESTDATA_DIR}/policies/${file}`, 'utf8');
      return /"layers"/.test(text) && !/@@/.test(text) && !/platform_rules/.test(text)
        && !file.endsWith('.json') && !file.includes('fragment');
    });
}

test('world/benign: shared policies with containers — null commands are not deployable, with the framework\'s reason', () => {
  const files = sharedPolicies();
  if (files.length === 0) return;
  const table: string[] = [];
  for (const file of files) {
    const world = sharedPolicyWorld('world/benign', file)!;
    const run = deployBenign(world);
    const ok = run.rows.filter((row) => row.result.outcome === 'ok').length;
    const first = run.rows.find((row) => row.result.outcome !== 'ok');
    table.push(`${file}: ${ok}/${run.rows.length} ok; not deployable: ${run.notDeployed
      .map((n) => n.name).join(', ') || '-'}; first stop: ${first === undefined ? '-'
      : `${first.note} (${first.result.stoppedBy}: ${first.result.reason.slice(0, 60)})`}`);
    const text = readFileSync(`${TESTDATA_DIR}/policies/${file}`, 'utf8');
    const nulls = (text.match(/"command":\s*null/g) ?? []).length;
    assert.is(run.notDeployed.length, nulls, file);
    for (const skipped of run.notDeployed) assert.is(skipped.reason, NULL_COMMAND_REASON);
    assert.is(run.rows[0]!.result.outcome, 'ok', `${file}: the launch`);
    assert.is(run.rows[2]!.result.outcome, 'ok', `${file}: the policy against HOST_DATA`);
  }
  if (process.env['PARMA_SIM_WORLD_TABLE'] !== undefined) console.log(table.join('\n'));
});

test.run();

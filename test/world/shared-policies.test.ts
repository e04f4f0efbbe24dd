/**
 * Goal: the benign deployment of every shared policy that has containers succeeds end to end
 * (issue 8 "The benign run", DESIGN C1): launch with the HOST_DATA SOURCES.md states for the
 * file, the policy accepted, every layer mounted and verified, every deployable container
 * created and started with its policy command, exec probes, graceful shutdown; the scratch
 * blocks on the host hold no plaintext. A container the real framework can never match (command
 * null, or a container without fields its framework version requires) is reported as not
 * deployable, and forcing it through is refused exactly where the reported reason says.
 * Method: every file under ../shared/testdata/policies that loads as a policy with containers
 * (fragments, whose package is not `policy`, are listed and not deployed); the expectations come
 * from the shared data (SOURCES.md's host_data column, the policy's own containers, its text),
 * never from our own output. A teardown release the guest refuses is allowed only as the real
 * framework refuses it: rw_unmount_device for a policy whose api_version is 0.11.0 or later and
 * whose text does not define that rule. The table (policy → deployed / not deployable) is
 * printed with PARMA_SIM_WORLD_TABLE=1, or written to the file that variable names.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexBytes } from '../../sim/kernel/bytes.js';
import { sealedBlocks } from '../../models/host/storage.js';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { decodeState, encodeState } from '../../sim/kernel/codec.js';
import {
  containerGroupOf, deployBenign, deployGroup, fingerprint, restore, snapshot,
  summarizeBenignRun, type BenignRun, type World,
} from '../../sim/world.js';
import { readSourcesTable } from '../policy/sources-table.js';
import { shared as sharedPath, sharedTests } from '../support/requires.js';
import { sharedPolicyWorld } from './world-support.js';

const SUITE = 'world/shared-benign';
const policiesDir = (): string => sharedPath('policies');

type SharedPolicy = Readonly<{ file: string; policy: SecurityPolicy; text: string }>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every shared file that loads as a policy and has containers (fragments included). */
function sharedPolicies(): SharedPolicy[] {
  const out: SharedPolicy[] = [];
  for (const path of filesUnder(policiesDir())) {
    let policy: SecurityPolicy;
    try {
      policy = loadSecurityPolicy(new Uint8Array(readFileSync(path))).policy;
    } catch {
      continue;                                   // not a policy (SOURCES.md, a report, a template)
    }
    if (policy.containers.length === 0) continue;
    out.push({ file: relative(policiesDir(), path), policy, text: readFileSync(path, 'latin1') });
  }
  return out;
}

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** Strings the guest wrote to the scratch disk in the clear before sealing them. */
function plaintextOf(policy: SecurityPolicy, deployed: ReadonlySet<string>,
  names: readonly string[]): string[] {
  const out = ['ociVersion', '"args"'];
  policy.containers.forEach((c, i) => {
    if (!deployed.has(names[i]!) || c.command === null) return;
    for (const arg of c.command) if (arg.length >= 4) out.push(JSON.stringify(arg));
  });
  return out;
}

function assertScratchSealed(run: BenignRun, secrets: readonly string[], file: string): void {
  const scratch = run.world.state.host.storage.disks['scratch0'];
  assert.ok(scratch !== undefined && scratch.kind === 'scratch', `${file}: a scratch disk`);
  const blocks = Object.values(sealedBlocks(scratch, run.world.store));
  assert.ok(blocks.length >= 2, `${file}: the guest wrote its configs`);
  const host = Buffer.concat(blocks.map((hex) => hexBytes(hex)));
  for (const secret of secrets) {
    assert.is(host.indexOf(Buffer.from(secret)), -1, `${file}: ${secret} is not on the host`);
  }
}

/** Releases may be refused only as the real framework refuses them (see the header). */
function assertReleases(run: BenignRun, shared: SharedPolicy): void {
  const { releaseRefused } = summarizeBenignRun(run);
  for (const row of releaseRefused) {
    assert.is(row.result.stoppedBy, 'policy', `${shared.file}: ${row.note}`);
    assert.is(row.result.decision?.rule, 'rw_unmount_device', `${shared.file}: ${row.note}`);
    assert.equal(row.result.decision?.reasons,
      ['rule for rw_unmount_device is missing from policy'], shared.file);
    assert.ok(versionAtLeast(shared.policy.api_version ?? '0.0.0', '0.11.0'), shared.file);
    assert.not.match(shared.text, /^rw_unmount_device\s*:=/m, shared.file);
  }
}

/** Deployed containers ran their policy command over their policy layers, in overlay order. */
function assertContainers(run: BenignRun, shared: SharedPolicy, names: readonly string[]): void {
  const guest = run.world.state.guest!;
  const created = run.events.filter((e) => e.source === 'guest' && e.type === 'container_created');
  const { deployed } = summarizeBenignRun(run);
  shared.policy.containers.forEach((c, i) => {
    if (!deployed.includes(names[i]!)) return;
    const inits = Object.values(guest.processes).filter((p) => p.kind === 'init'
      && p.argv.join('\0') === c.command!.join('\0'));
    assert.ok(inits.length >= 1, `${shared.file}: ${names[i]} ran ${c.command!.join(' ')}`);
    const layers = [...c.layers].reverse();
    assert.ok(created.some((e) => JSON.stringify((e.data as { layers: unknown }).layers)
      === JSON.stringify(layers)), `${shared.file}: ${names[i]} over its policy layers`);
    const probes = Object.values(guest.processes).filter((p) => p.kind === 'exec');
    for (const probe of c.exec_processes) {
      assert.ok(probes.some((p) => p.argv.join('\0') === probe.command.join('\0')),
        `${shared.file}: probe ${probe.command.join(' ')}`);
    }
  });
}

/** A not-deployable container forced through is refused where its reported reason says. */
function assertNotDeployableHolds(world: World, shared: SharedPolicy): void {
  const group = containerGroupOf(world);
  for (const skipped of group.containers.filter((c) => c.notDeployable !== null)) {
    const quoted = /\("([^"]+)"\)/.exec(skipped.notDeployable!)?.[1];
    assert.ok(quoted !== undefined, `${shared.file}: the reason quotes the framework`);
    const forced = { containers: group.containers.map((c) => (c !== skipped ? c
      : { ...c, command: c.command ?? ['/bin/sh'], notDeployable: null })) };
    const run = deployGroup(world, forced);
    const stop = run.rows.find((row) => row.result.outcome !== 'ok' && !row.release
      && row.note.endsWith(` ${skipped.name}`));
    assert.ok(stop !== undefined, `${shared.file}: forcing ${skipped.name} is refused`);
    assert.is(stop.result.stoppedBy, 'policy');
    assert.ok(stop.result.decision!.reasons.includes(quoted),
      `${shared.file}: ${skipped.name} refused with "${quoted}"`);
  }
}

const table: string[] = [];

sharedTests(`${SUITE}: every shared policy deploys end to end`, () => {
  const hostData = new Map(readSourcesTable(policiesDir()).map((row) => [row.file, row.hostData]));
  const shared = sharedPolicies();

  test(`${SUITE}: the shared data has policies with containers, each listed in SOURCES.md`, () => {
    assert.ok(shared.length >= 12, `${shared.length} policies`);
    for (const p of shared) assert.ok(hostData.get(p.file) !== undefined, p.file);
  });

  for (const p of shared) {
    if (p.policy.package_name !== 'policy') {
      table.push(`| ${p.file} | - | not a policy: a fragment (package ${p.policy.package_name}),`
        + ' loaded through SecurityPolicyFragment | - |');
      continue;
    }
    test(`${SUITE}: ${p.file}: launch, policy, layers, every deployable container running its `
      + 'command, probes and a graceful shutdown; no plaintext on the host\'s scratch', () => {
      const world = sharedPolicyWorld(p.file);
      const run = deployBenign(world);
      const summary = summarizeBenignRun(run);
      assert.equal(summary.refused.map((r) => `${r.note}: ${r.result.reason}`), [], p.file);
      assert.ok(summary.stopped, `${p.file}: the UVM shut down`);
      assert.is(run.world.state.guest!.ownReport!.host_data, hostData.get(p.file));
      const expected = p.policy.containers.filter((c) => c.command !== null
        && (c.absent_fields ?? []).length === 0).length;
      assert.is(summary.deployed.length, expected, `${p.file}: deployed containers`);
      assert.is(summary.notDeployed.length, p.policy.containers.length - expected);
      const policyNames = policyOrderNames(world, p.policy);
      assertContainers(run, p, policyNames);
      assertReleases(run, p);
      if (expected > 0) {
        assertScratchSealed(run, plaintextOf(p.policy, new Set(summary.deployed), policyNames),
          p.file);
      } else {
        assert.is(run.world.state.guest!.nextPid, 100, `${p.file}: nothing ran`);
      }
      const bytes = snapshot(run.world);
      assert.equal(encodeState(decodeState(encodeState(run.world.state))),
        encodeState(run.world.state), `${p.file}: the end state round-trips through the codec`);
      assert.is(fingerprint(restore(bytes, run.world.store)), fingerprint(run.world));
      table.push(tableRow(p.file, run));
    });
    if (p.policy.containers.some((c) => c.command === null || (c.absent_fields ?? []).length > 0)) {
      test(`${SUITE}: ${p.file}: a container reported not deployable, forced through, is refused `
        + 'with the framework reason the report quotes', () => {
        assertNotDeployableHolds(sharedPolicyWorld(p.file), p);
      });
    }
  }

  test(`${SUITE}: the table of policies, deployed containers and not deployable ones`, () => {
    assert.ok(table.length >= shared.length - 2, 'a row per policy');
    const out = ['| policy | deployed | not deployable (reason) | releases refused |',
      '|---|---|---|---|', ...table].join('\n');
    const target = process.env['PARMA_SIM_WORLD_TABLE'];
    if (target === '1') console.log(out);
    else if (target !== undefined && target !== '') writeFileSync(target, `${out}\n`);
  });
});

/** The group's container name of each policy container, in policy order. */
function policyOrderNames(world: World, policy: SecurityPolicy): string[] {
  const group = containerGroupOf(world).containers;
  const used = new Set<string>();
  return policy.containers.map((c) => {
    const found = group.find((g) => !used.has(g.name) && g.layers.join() === c.layers.join()
      && JSON.stringify(g.command) === JSON.stringify(c.command));
    assert.ok(found !== undefined, 'every policy container is in the group');
    used.add(found.name);
    return found.name;
  });
}

function tableRow(file: string, run: BenignRun): string {
  const summary = summarizeBenignRun(run);
  const skipped = summary.notDeployed.map((n) => `${n.name} (${/\("([^"]+)"\)/.exec(n.reason)?.[1]
    ?? n.reason})`).join(', ');
  const releases = summary.releaseRefused.map((r) => `${r.note}: ${r.result.decision?.reasons
    .join('; ') ?? r.result.reason}`).join('; ');
  return `| ${file} | ${summary.deployed.join(', ') || '-'} | ${skipped || '-'} | `
    + `${releases || '-'} |`;
}

test.run();

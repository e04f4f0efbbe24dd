/**
 * Goal: C1 compatibility on real data: for every container of every importable shared policy the
 * benign sequence passes (mount each layer, the overlay, create with its own command, env, working
 * dir and mounts, exec each exec_process, signal each allowed signal, shut down) in every dialect
 * that accepts the policy's framework_version, except where the real framework itself refuses:
 * a container whose text lacks fields its framework_version has (the shim drops it), and
 * `command: null` (no argv matches; the empty-argv reading lets the benign sequence through).
 * `policy simulate` replays hcsshim's policyenginesimulator sample and says why HEAD denies its
 * old trace; `policy eval` exit codes.
 * Method: requests are built from each container's own policy fields (spec (b) meaning of each
 * field), never from engine output; a null command is sent as the empty argv.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import type {
  MountRule, PolicyContainer, SecurityPolicy
} from '../../models/policy/policy-model.js';
import type { Decision, NullCommandReading } from '../../models/policy/engine.js';
import { DIALECTS, POLICY_DIALECTS, type PolicyDialect } from '../../models/policy/dialect.js';
import { emptyMetadata, initialMetadata } from '../../models/policy/metadata.js';
import { compareSemver } from '../../models/policy/match/semver.js';
import { shared, sharedTest, sharedTests } from '../support/requires.js';
import { runCli } from '../support/cli.js';
import {
  HUGEPAGES_DIR, SANDBOX_DIR, container, createInput, last, run,
} from './engine-support.js';

const SUITE = 'policy/engine-real-policies';
const policiesRoot = (): string => shared('policies');
const sim = (file: string): string =>
  shared('policies', 'hcsshim', 'policyenginesimulator_simple_framework', file);

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => statSync(join(dir, f)).isDirectory()
    ? walk(join(dir, f)) : [join(dir, f)]);
}

function importable(): (readonly [string, SecurityPolicy])[] {
  const root = policiesRoot();
  const out: (readonly [string, SecurityPolicy])[] = [];
  for (const file of walk(root)) {
    try {
      const { policy } = loadSecurityPolicy(new Uint8Array(readFileSync(file)));
      if (policy.package_name === 'policy') out.push([file.slice(root.length + 1), policy]);
    } catch { /* templates, fragments' includes, non-policies: the importer tests cover them */ }
  }
  return out;
}

/**
 * A concrete source for a mount rule: sandbox:// / hugepages:// under the request's dirs, `.+` →
 * `x`.
 */
function sourceFor(rule: MountRule): string {
  return rule.source.replace('sandbox://', SANDBOX_DIR).replace('hugepages://',
    HUGEPAGES_DIR).replaceAll('.+', 'x').replaceAll('.*', '');
}

function benign(c: PolicyContainer, index: number): (readonly [string, unknown])[] {
  const id = (index + 1).toString(16).padStart(64, '0');
  const targets = c.layers.map((_, i) => `/run/mounts/scsi/m${index * 100 + i}`);
  const create = createInput(c, id, { argList: c.command ?? [],
    mounts: c.mounts.map((m) => ({ ...m, source: sourceFor(m) })) });
  const security = { noNewPrivileges: create['noNewPrivileges'], user: create['user'],
    groups: create['groups'], umask: create['umask'], capabilities: create['capabilities'] };
  return [
    ...c.layers.map((h, i) => ['mount_device', { target: targets[i], deviceHash: h }] as const),
    ['mount_overlay', { containerID: id, layerPaths: [...targets].reverse(),
      target: `/run/gcs/c/${id}/rootfs` }],
    ['create_container', create],
    ...c.exec_processes.map((p) => ['exec_in_container',
      { containerID: id, argList: p.command, envList: create['envList'], workingDir: c.working_dir,
      ...security }] as const),
    ...c.signals.map((signal) => ['signal_container_process',
      { containerID: id, signal, isInitProcess: true, argList: c.command ?? [] }] as const),
    ...c.exec_processes.flatMap((p) => p.signals.map((signal) =>
      ['signal_container_process', { containerID: id, signal, isInitProcess: false,
      argList: p.command }] as const)),
    ['shutdown_container', { containerID: id }],
  ];
}

let found: (readonly [string, SecurityPolicy])[] | undefined;
const policies = (): (readonly [string, SecurityPolicy])[] => found ??= importable();
/** The dialects whose framework is not older than the policy's framework_version. */
function dialectsFor(policy: SecurityPolicy): readonly PolicyDialect[] {
  return POLICY_DIALECTS.filter((d) =>
    (compareSemver(policy.framework_version, DIALECTS[d].frameworkVersion) ?? 1) <= 0);
}

function runIn(policy: SecurityPolicy, calls: readonly (readonly [string, unknown])[],
    dialect: PolicyDialect, nullCommand: NullCommandReading = 'framework'): Decision[] {
  return run(policy, calls, initialMetadata(dialect), { dialect, nullCommand });
}

sharedTests(`${SUITE}: each container of each policy in ../shared imports and runs`, () => {
  for (const [file, policy] of policies()) {
    policy.containers.forEach((c, index) => {
      const label = `${file} containers[${index}] (${c.name || c.command?.join(' ') || 'unnamed'})`;
      if (c.absent_fields !== undefined) {
        test(`${SUITE}: ${label} lacks ${c.absent_fields.join(', ')} although its `
          + `framework_version `
            + 'has them: its layers mount, but the shim drops it, so no overlay matches', () => {
          const calls = benign(c, index).slice(0, c.layers.length + 1);
          for (const dialect of dialectsFor(policy)) {
            const ds = runIn(policy, calls, dialect);
            assert.ok(ds.slice(0, c.layers.length).every((d) => d.allowed), dialect);
            assert.equal(last(ds).framework_reasons, ['no matching containers for overlay']);
          }
        });
        return;
      }
      if (c.command === null) {
        test(`${SUITE}: ${label} has command null, so a create with a host-chosen argv is denied `
            + `with "invalid command"`, () => {
          const calls = benign(c, index);
          const createAt = c.layers.length + 1;
          const [, createInputValue] = calls[createAt]!;
          calls[createAt] = ['create_container', { ...(createInputValue as Record<string, unknown>),
            argList: ['/bin/sh', '-c', 'id'] }];
          const ds = run(policy, calls.slice(0, createAt + 1), emptyMetadata(),
            { nullCommand: 'empty-argv' });
          assert.ok(ds.slice(0, createAt).every((d) => d.allowed));
          assert.is(ds[createAt]!.allowed, false);
          assert.ok(ds[createAt]!.framework_reasons!.includes('invalid command'));
        });
        test(`${SUITE}: ${label} has command null: the framework denies even the empty argv, the `
            + 'empty-argv reading allows the benign sequence', () => {
          const calls = benign(c, index);
          const createAt = c.layers.length + 1;
          for (const dialect of dialectsFor(policy)) {
            const real = runIn(policy, calls.slice(0, createAt + 1), dialect);
            assert.equal(last(real).framework_reasons, ['invalid command'], dialect);
            const lenient = runIn(policy, calls, dialect, 'empty-argv');
            lenient.forEach((d, i) => assert.ok(d.allowed,
              `${dialect} step ${i} ${calls[i]![0]}: ${d.reasons.join(' | ')}`));
          }
        });
        return;
      }
      test(`${SUITE}: ${label}: the benign sequence is allowed step by step in every dialect `
          + 'that accepts its framework_version', () => {
        const calls = benign(c, index);
        for (const dialect of dialectsFor(policy)) {
          const ds = runIn(policy, calls, dialect);
          ds.forEach((d, i) => assert.ok(d.allowed,
            `${dialect} step ${i} ${calls[i]![0]}: ${d.reasons.join(' | ')}`));
          assert.is(ds.length, calls.length);
        }
        assert.ok(dialectsFor(policy).includes('head'));
      });
    });
  }
});

sharedTest(`${SUITE}: the allow-all test policy grants stdio where its constant create_container `
  + `says `
    + `so, and not for exec_in_container`, () => {
  const { policy } = loadSecurityPolicy(new Uint8Array(readFileSync(join(policiesRoot(),
    'confidential-aci-testing', 'allow_all_policy.rego'))));
  const id = 'ab'.repeat(32);
  const anyContainer = container({ command: ['/bin/anything'], env_rules: [] });
  const [create, exec] = run(policy, [
    ['create_container', createInput(anyContainer, id)],
    ['exec_in_container', { containerID: id, argList: ['/bin/sh'], envList: [], workingDir: '/' }],
  ]);
  assert.ok(create!.allowed);
  assert.is(create!.allow_stdio_access, true);
  assert.ok(exec!.allowed);
  assert.is(exec!.allow_stdio_access, undefined);
});

sharedTest(`${SUITE}: at least the generated confcom and hcsshim sample policies were `
  + `found`, () => {
  assert.ok(policies().length >= 10, `only ${policies().length} policies`);
  assert.ok(policies().some(([f]) => f.startsWith('confcom/')));
});

sharedTest(`${SUITE}: policy simulate replays the hcsshim sample, one decision per command, and `
  + `says why `
    + `HEAD denies old targets`, async () => {
  const commands = JSON.parse(readFileSync(sim('commands.json'), 'utf8')) as unknown[];
  const r = await runCli(['policy', 'simulate', sim('policy.rego'), '--commands',
    sim('commands.json')]);
  const lines = r.stdout.trim().split('\n').map((l) =>
    JSON.parse(l) as { name: string; allowed: boolean; reasons: string[] });
  assert.is(lines.length, commands.length);
  assert.is(r.code, 10);
  const mount = lines.find((l) => l.name === 'mount_device')!;
  assert.is(mount.allowed, false);
  assert.ok(mount.reasons.includes('mountpoint invalid'));
  assert.ok(mount.reasons.some((x) => x.includes('/run/layers/p0-layer0')
    && x.includes('mountPathRegex') && x.includes('v0.14.1')));
  assert.ok(lines[0]!.name === 'load_fragment' && lines[0]!.allowed);
});

sharedTest(`${SUITE}: under the v0.14.1 dialect the sample's mounts and overlays pass; creates are `
    + `judged field by field`, async () => {
  const r = await runCli(['policy', 'simulate', sim('policy.rego'), '--commands',
    sim('commands.json'), '--dialect', 'v0.14.1']);
  const lines = r.stdout.trim().split('\n').map((l) =>
    JSON.parse(l) as { name: string; allowed: boolean; index: number; reasons: string[] });
  assert.ok(lines.filter((l) => l.name === 'mount_device'
    || l.name === 'mount_overlay').every((l) => l.allowed));
  const creates = new Map(lines.filter((l) => l.name === 'create_container').map((l) =>
    [l.index, l]));
  // container0/1: `rustc --help` with the policy container's exact CAP_SYS_ADMIN sets.
  assert.ok(creates.get(10)!.allowed && creates.get(29)!.allowed);
  // container2 (pause) and container4 (the fragment's `rustc --version`) carry capabilities: null.
  // With capability dropping on, caps_list is then undefined: denied, and no error names it (the
  // real GCS refuses a null capability set before it asks the policy).
  for (const index of [43, 64]) {
    assert.is(creates.get(index)!.allowed, false);
    assert.equal((creates.get(index) as unknown as { framework_reasons: string[] })
      .framework_reasons, []);
  }
  // container3 asks privileged for the non-elevated pause container.
  assert.ok(creates.get(51)!.reasons.includes('privileged escalation not allowed'));
});

sharedTest(`${SUITE}: policy eval prints the decision and exits 0 allowed / 10 denied / 30 `
  + `malformed `
    + `input`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parma-eval-'));
  const write = (name: string, value: unknown) => { const p = join(dir, name);
    writeFileSync(p, JSON.stringify(value)); return p; };
  const policyFile = sim('policy.rego');
  const ok = await runCli(['policy', 'eval', policyFile, '--rule', 'mount_device', '--input',
    write('ok.json', { target: '/run/mounts/scsi/m0',
      deviceHash: '16b514057a06ad665f92c02863aca074fd5976c755d26bff16365299169e8415' })]);
  assert.is(ok.code, 0, ok.stderr);
  const decision = JSON.parse(ok.stdout) as { allowed: boolean;
    metadata: { devices: Record<string, string> } };
  assert.is(decision.metadata.devices['/run/mounts/scsi/m0'],
    '16b514057a06ad665f92c02863aca074fd5976c755d26bff16365299169e8415');
  const metadataFile = write('m.json', decision.metadata);
  const twice = await runCli(['policy', 'eval', policyFile, '--rule', 'mount_device', '--metadata',
    metadataFile, '--input',
    write('twice.json', { target: '/run/mounts/scsi/m0',
      deviceHash: '16b514057a06ad665f92c02863aca074fd5976c755d26bff16365299169e8415' })]);
  assert.is(twice.code, 10);
  assert.ok((JSON.parse(twice.stdout) as { reasons: string[] }).reasons.includes('device already '
    + 'mounted at path'));
  const malformed = await runCli(['policy', 'eval', policyFile, '--rule', 'mount_device', '--input',
    write('bad.json', { target: 7 })]);
  assert.is(malformed.code, 30);
  assert.match(malformed.stderr, /input\.target/);
  const unknown = await runCli(['policy', 'eval', policyFile, '--rule', 'mount_everything',
    '--input', write('e.json', {})]);
  assert.is(unknown.code, 2);                          // a bad --rule value is a usage error
  assert.match(unknown.stderr, '--rule:');
});

test.run();

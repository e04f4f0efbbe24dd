/**
 * Goal: the policy engine simulator (models/policy/policy-simulator.ts) parses commands.json as
 * documented, replays one step per command in order, threads the metadata from each decision to
 * the next, starts from the dialect's initial metadata, and runs load_fragment as the two real
 * calls (issuer/feed check, then the fragment's data).
 * Method: small hand-written policies and command lists; expected decisions from spec policy.md
 * (c) (mount_device: a target mounted once; load_fragment: issuer check) and the module header.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import { initialMetadata } from '../../models/policy/metadata.js';
import {
  MAX_COMMANDS, parseSimulatorCommands, simulatePolicy, type SimulatorCommand,
} from '../../models/policy/policy-simulator.js';
import type { FragmentDocument } from '../../models/policy/rules/fragment-document.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { failure } from '../support/failure.js';

const LAYER = '5e'.repeat(32);
const TARGET = '/run/mounts/scsi/m1';

function policy(extra: string): SecurityPolicy {
  return importSecurityPolicy(new TextEncoder().encode('package policy\napi_version := "0.10.0"\n'
    + 'framework_version := "0.2.3"\nreason := {"errors": data.framework.errors}\n' + extra));
}

const DEVICES = policy('mount_device := data.framework.mount_device\n'
  + `containers := [{"command": ["/a"], "env_rules": [], "layers": ["${LAYER}"], "mounts": [], `
  + '"exec_processes": [], "signals": [], "working_dir": "/", "allow_elevated": false, '
  + '"allow_stdio_access": false}]\n');
const FRAGMENTS = policy('load_fragment := data.framework.load_fragment\nfragments := '
  + '[{"issuer": "did:web:i", "feed": "f", "minimum_svn": "1", "includes": ["containers"]}]\n');
const DOC: FragmentDocument = { svn: '1', framework_version: '0.2.3', containers: [],
  fragments: [], external_processes: [] };

const mount = (target = TARGET): SimulatorCommand =>
  ({ name: 'mount_device', input: { target, deviceHash: LAYER } });

test('policy/simulator: commands.json is an array of {name, input}; input defaults to {}', () => {
  assert.equal(parseSimulatorCommands([{ name: 'a', input: { x: 1 } }, { name: 'b' },
    { name: 'c', input: null }, { name: 'd', extra: 1 }]),
  [{ name: 'a', input: { x: 1 } }, { name: 'b', input: {} }, { name: 'c', input: {} },
    { name: 'd', input: {} }]);
  assert.equal(parseSimulatorCommands([]), []);
});

test('policy/simulator: a malformed commands document is refused naming the place', () => {
  const cases: ReadonlyArray<readonly [unknown, string, string]> = [
    [{}, 'commands', 'commands must be a JSON array of {name, input}'],
    [null, 'commands', 'commands must be a JSON array of {name, input}'],
    [[{ name: 'a' }, null], 'commands[1]', 'commands[1] must be an object {name, input}'],
    [[[]], 'commands[0]', 'commands[0] must be an object {name, input}'],
    [['mount_device'], 'commands[0]', 'commands[0] must be an object {name, input}'],
    [[{ input: {} }], 'commands[0].name', 'commands[0].name must be a string'],
    [[{ name: 1 }], 'commands[0].name', 'commands[0].name must be a string'],
  ];
  for (const [value, field, message] of cases) {
    const error = failure(() => parseSimulatorCommands(value));
    assert.is(error.code, 'POLICY_BAD_INPUT');
    assert.is(error.message, `POLICY_BAD_INPUT: ${message}`);
    assert.equal(error.detail, { field });
  }
});

test('policy/simulator: the replay is bounded at MAX_COMMANDS commands', () => {
  assert.is(MAX_COMMANDS, 100_000);
  const at = Array.from({ length: MAX_COMMANDS }, () => ({ name: 'x' }));
  assert.is(parseSimulatorCommands(at).length, MAX_COMMANDS);
  const error = failure(() => parseSimulatorCommands([...at, { name: 'x' }]));
  assert.is(error.code, 'SIM_LIMIT_EXCEEDED');
  assert.equal(error.detail, { commands: MAX_COMMANDS + 1, max: MAX_COMMANDS });
});

test('policy/simulator: each step sees the metadata of the step before', () => {
  const steps = simulatePolicy(DEVICES, [mount(), mount(), mount('/run/mounts/scsi/m2')]);
  assert.equal(steps.map((s) => [s.index, s.name, s.decision.allowed]),
    [[0, 'mount_device', true], [1, 'mount_device', false], [2, 'mount_device', true]]);
  assert.equal(steps[1]!.decision.framework_reasons, ['device already mounted at path']);
  assert.equal(steps[2]!.decision.metadata.devices, { [TARGET]: LAYER,
    '/run/mounts/scsi/m2': LAYER });
  assert.is(steps[1]!.decision.metadata, steps[0]!.decision.metadata);
  assert.equal(simulatePolicy(DEVICES, []), []);
});

test('policy/simulator: the replay starts from given metadata or the dialect\'s initial one', () => {
  const denied = [{ name: 'mount_device', input: { target: '/elsewhere', deviceHash: 'ff' } }];
  assert.equal(simulatePolicy(DEVICES, denied)[0]!.decision.metadata, initialMetadata('head'));
  assert.equal(simulatePolicy(DEVICES, denied, { dialect: 'v0.14.1' })[0]!.decision.metadata,
    initialMetadata('v0.14.1'));
  const mounted = simulatePolicy(DEVICES, [mount()])[0]!.decision.metadata;
  const again = simulatePolicy(DEVICES, [mount()], { metadata: mounted });
  assert.is(again[0]!.decision.allowed, false);
  assert.equal(again[0]!.decision.reasons, ['device already mounted at path']);
});

test('policy/simulator: load_fragment stops at a refused issuer without a second call', () => {
  const [step] = simulatePolicy(FRAGMENTS, [{ name: 'load_fragment',
    input: { issuer: 'did:web:x', feed: 'f', namespace: 'n', fragment: DOC } }]);
  assert.equal(Object.keys(step!), ['index', 'name', 'decision']);
  assert.is(step!.decision.allowed, false);
  assert.equal(step!.decision.framework_reasons, ['invalid fragment issuer']);
});

test('policy/simulator: load_fragment checks the header, then loads the resolved fragment', () => {
  const seen: unknown[] = [];
  const steps = simulatePolicy(FRAGMENTS, [mount(), { name: 'load_fragment',
    input: { issuer: 'did:web:i', feed: 'f', namespace: 'n', local_path: 'p.rego' } }],
  { resolveFragment: (input, index) => { seen.push([input, index]); return DOC; } });
  assert.equal(seen, [[{ issuer: 'did:web:i', feed: 'f', namespace: 'n', local_path: 'p.rego' },
    1]]);
  const step = steps[1]!;
  assert.equal([step.index, step.name, step.phase1!.allowed, step.decision.allowed],
    [1, 'load_fragment', true, true]);
  assert.equal(step.phase1!.metadata, initialMetadata('head'));
  assert.equal(step.decision.metadata.issuers, { 'did:web:i': { feeds: { f: [{ namespace: 'n',
    svn: '1', containers: [] }] } } });
  const given = simulatePolicy(FRAGMENTS, [{ name: 'load_fragment', input: { issuer: 'did:web:i',
    feed: 'f', namespace: 'n', fragment: DOC } }], { resolveFragment: () => {
    throw new Error('not called when the command carries the fragment');
  } });
  assert.is(given[0]!.decision.allowed, true);
});

test('policy/simulator: load_fragment needs an object input and some fragment data', () => {
  for (const input of [null, [], 'x']) {
    const error = failure(() => simulatePolicy(FRAGMENTS, [mount(), { name: 'load_fragment',
      input }]));
    assert.is(error.message, 'POLICY_BAD_INPUT: commands[1].input must be an object');
    assert.equal(error.detail, { rule: 'load_fragment', field: 'input' });
  }
  const error = failure(() => simulatePolicy(FRAGMENTS, [{ name: 'load_fragment',
    input: { issuer: 'did:web:i', feed: 'f', namespace: 'n' } }]));
  assert.is(error.message, 'POLICY_BAD_INPUT: commands[0]: no fragment data (give local_path or '
    + 'fragment)');
  assert.equal(error.detail, { rule: 'load_fragment', field: 'local_path' });
});

test.run();

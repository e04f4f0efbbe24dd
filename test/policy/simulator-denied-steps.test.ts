/**
 * Goal: a load_fragment command the policy refuses at its first call (the issuer check) is still
 * one step named load_fragment at its index, with that refusal as its decision, and the replay
 * goes on from the unchanged metadata (models/policy/policy-simulator.ts).
 * Method: a hand-written Rego policy that trusts one issuer (did:web:i) and mounts devices; a
 * command list with a refused fragment between two mounts; expected steps written by hand from
 * spec policy.md (c) (load_fragment: "invalid fragment issuer"; mount_device: a target once).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importSecurityPolicy } from '../../models/policy/load-policy.js';
import { initialMetadata } from '../../models/policy/metadata.js';
import { simulatePolicy } from '../../models/policy/policy-simulator.js';
import type { FragmentDocument } from '../../models/policy/rules/fragment-document.js';

const SUITE = 'policy/simulator-denied-steps';
const LAYER = '7a'.repeat(32);

const POLICY = importSecurityPolicy(new TextEncoder().encode('package policy\n'
  + 'api_version := "0.10.0"\nframework_version := "0.2.3"\n'
  + 'reason := {"errors": data.framework.errors}\n'
  + 'mount_device := data.framework.mount_device\n'
  + 'load_fragment := data.framework.load_fragment\n'
  + `containers := [{"command": ["/a"], "env_rules": [], "layers": ["${LAYER}"], "mounts": [], `
  + '"exec_processes": [], "signals": [], "working_dir": "/", "allow_elevated": false, '
  + '"allow_stdio_access": false}]\n'
  + 'fragments := [{"issuer": "did:web:i", "feed": "f", "minimum_svn": "1", '
  + '"includes": ["containers"]}]\n'));
const DOC: FragmentDocument = { svn: '1', framework_version: '0.2.3', containers: [],
  fragments: [], external_processes: [] };

test(`${SUITE}: a fragment refused at its issuer check is the step named load_fragment at its `
    + 'index, and the next command sees the metadata before it', () => {
  const steps = simulatePolicy(POLICY, [
    { name: 'mount_device', input: { target: '/run/mounts/scsi/m1', deviceHash: LAYER } },
    { name: 'load_fragment', input: { issuer: 'did:web:other', feed: 'f', namespace: 'n',
      fragment: DOC } },
    { name: 'mount_device', input: { target: '/run/mounts/scsi/m2', deviceHash: LAYER } },
  ]);
  assert.equal(steps.map((s) => [s.index, s.name, s.decision.allowed]),
    [[0, 'mount_device', true], [1, 'load_fragment', false], [2, 'mount_device', true]]);
  assert.equal(steps[1]!.decision.framework_reasons, ['invalid fragment issuer']);
  assert.is(steps[1]!.phase1, undefined);
  assert.is(steps[1]!.decision.metadata, steps[0]!.decision.metadata);
  assert.equal(Object.keys(steps[2]!.decision.metadata.devices),
    ['/run/mounts/scsi/m1', '/run/mounts/scsi/m2']);
  assert.equal(initialMetadata('head').devices, {});
});

test.run();

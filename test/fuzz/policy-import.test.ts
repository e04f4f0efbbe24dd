/**
 * Goal: the policy importer under token-level mutations of real policies (Rego, legacy JSON,
 * ARM template JSON, base64): every mutant loads to a policy bound to the SHA-256 of its exact
 * bytes, or is refused with a typed error, in a bounded time; a loaded mutant can be asked about
 * every enforcement point without an exception, and a deployment of its own containers (mount
 * their layers, overlay, create, exec) runs with every denial leaving the metadata as it was.
 * Method: fast-check (fixed seeds; fuzz/harness.ts) over fuzz/mutators.ts token edits (delete,
 * duplicate, swap, replace or insert a token of the policy itself or a troublesome one) of the
 * policies in ../shared/testdata/policies (same-kind edits keep many loadable). The digest is
 * recomputed here with node:crypto; the deployment's inputs come from test/policy/engine-support.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { loadSecurityPolicy } from '../../models/policy/load-policy.js';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { emptyMetadata, initialMetadata } from '../../models/policy/metadata.js';
import type { SecurityPolicy } from '../../models/policy/policy-model.js';
import { fingerprint } from '../../sim/kernel/codec.js';
import { createInput, execInput, ID, mountCalls } from '../policy/engine-support.js';
import { ENFORCEMENT_POINT_NAMES } from '../../models/policy/enforcement-points.js';
import { shared, sharedTest } from '../support/requires.js';
import { fuzzParameters, fuzzRuns, labelled, outcome, ranNote } from './harness.js';
import { mutatedText } from './mutators.js';

const SUITE = 'fuzz/policy-import';
const BOUND_MS = 3_000;

const FILES = [
  'confcom/multi_containers.policy.rego', 'confcom/minimal.policy_fragment.rego',
  'confcom/fragments.fragment.rego', 'confcom/volume_mounts.policy.rego',
  'confcom/sample-template-output.json', 'confidential-aci-examples/policy_attestation.rego',
  'confidential-sidecar-containers/legacy_json_policy_tampered.decoded.json',
  'confidential-sidecar-containers/uvm_security_policy.base64', 'ccf/json_allow_all_policy.json',
  'hcsshim/policy_v0.10.0_api_test.rego', 'hcsshim/open_door.rego',
];

/** A request for each enforcement point that is shaped like the GCS's (values may not match). */
const PROBE: Readonly<Record<string, unknown>> = {
  mount_device: { target: '/run/mounts/scsi/m0', deviceHash: 'ab'.repeat(32) },
  mount_overlay: { containerID: 'c1', layerPaths: ['/run/mounts/scsi/m0'],
    target: '/run/gcs/c/c1/rootfs' },
  create_container: { containerID: 'c1', argList: ['/pause'], envList: [], workingDir: '/',
    mounts: [], privileged: false, sandboxDir: '/run/gcs/c/c1', hugePagesDir: '/h' },
};

const GO_SIDE_ERROR = new RegExp('^(policy does not define api_version|enforcement point rule '
  + '\\S+ (does not exist|is invalid)|error applying metadata operations)');

/** Deploys the policy's first containers, threading the metadata; checks every denial. */
function deployOwnContainers(policy: SecurityPolicy): number {
  let metadata = initialMetadata('head');
  let allowed = 0;
  policy.containers.slice(0, 3).forEach((c, index) => {
    const id = ID(index + 1);
    const layers = c.layers.filter((l) => typeof l === 'string');
    const calls = [...mountCalls(layers, id, 10 * index),
      ['create_container', createInput(c, id)] as const,
      ...c.exec_processes.slice(0, 1).map((p) => ['exec_in_container',
        execInput(c, id, p.command ?? [])] as const)];
    for (const [rule, input] of calls) {
      const before = fingerprint(metadata);
      const step = outcome(() => evaluateEnforcementPoint(policy, metadata, rule, input), BOUND_MS);
      if (!step.ok) continue;
      if (step.value.allowed) {
        allowed++;
        metadata = step.value.metadata;
      } else {
        assert.ok(step.value.reasons.length > 0, 'a denial names a reason');
        if (fingerprint(step.value.metadata) !== before) {
          // The one way (engine.ts header; securitypolicyenforcer_rego.go `enforce`): the policy
          // query's metadata operations ran, then a Go-side check failed (applyDefaults on a
          // policy without api_version, a point it lacks) and the GCS reports that error alone.
          assert.equal(step.value.framework_reasons, [step.value.reasons[0]!]);
          assert.match(step.value.reasons[0]!, GO_SIDE_ERROR, `a ${rule} denial changed metadata`);
          metadata = step.value.metadata;
        }
      }
    }
  });
  return allowed;
}

sharedTest(`${SUITE}: token mutations of ${FILES.length} real policies load bound to their SHA-256 `
  + 'or are refused with a typed error, and a loaded mutant answers every enforcement point',
() => {
  const seeds = FILES.map((file) => ({ file, text: readFileSync(shared('policies', file),
    'utf8') }));
  const arbitrary = fc.oneof(...seeds.map(({ file, text }) => mutatedText(text).map((mutant) =>
    labelled({ file, mutant }, `${file} mutated: ${JSON.stringify(mutant).slice(0, 200)}…`))));
  let loaded = 0;
  let deployed = 0;
  fc.assert(fc.property(arbitrary, ({ mutant }) => {
    const bytes = new TextEncoder().encode(mutant);
    const result = outcome(() => loadSecurityPolicy(bytes), BOUND_MS);
    if (!result.ok) {
      assert.match(result.code, /^(POLICY|SIM)_/);
      return;
    }
    loaded++;
    const digest = createHash('sha256').update(result.value.bytes).digest('hex');
    assert.is(result.value.digestHex, digest, 'HOST_DATA binds the exact policy bytes');
    for (const rule of ENFORCEMENT_POINT_NAMES) {
      const decision = outcome(() => evaluateEnforcementPoint(result.value.policy,
        emptyMetadata(), rule, PROBE[rule] ?? {}), BOUND_MS);
      if (decision.ok) assert.type(decision.value.allowed, 'boolean');
    }
    deployed += deployOwnContainers(result.value.policy);
  }), fuzzParameters(1501, 300));
  assert.ok(loaded > 0, 'some mutants still load (the engine is exercised on them)');
  console.log(`${ranNote('policy import', fuzzRuns(300))}, ${loaded} loaded, ${deployed} `
    + 'deployment steps allowed');
});

test.run();

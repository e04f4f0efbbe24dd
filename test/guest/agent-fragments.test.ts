/**
 * Goal: SecurityPolicyFragment requests reach load_fragment through the fragment envelope: a
 * fragment signed by the issuer and feed the policy names loads, and its container's layer can
 * then be mounted; a fragment from another issuer, or before any policy, is refused with the
 * state unchanged; reference-info media types are accepted without a rule.
 * Method: a deterministic test issuer signs a hand-written fragment whose container names a
 * generated layer; the policy is generatedPolicy() with a `fragments` entry for that issuer.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { modifySettingsMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import { buildLayerImage } from '../../models/guest/layer-image.js';
import { signFragment } from '../../models/policy/fragment-envelope.js';
import { createTestIssuer } from '../../models/policy/test-issuers.js';
import {
  BENIGN, benignPrefix, bootedGuest, generatedPolicy, policyBytes, scsiLayer, text,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const FEED = 'contoso.azurecr.io/sidecar';
const contoso = createTestIssuer({ seed: 'guest-contoso' });
const mallory = createTestIssuer({ seed: 'guest-mallory' });
const SIDECAR = buildLayerImage({ '/sidecar': { kind: 'file', content: text('#!sidecar'),
  mode: 0o755 } });

const FRAGMENT = `package sidecar

svn := "2"
framework_version := "0.5.0"

containers := [{"command": ["/sidecar"], "env_rules": [], "layers": ["${SIDECAR.rootHash}"],
  "mounts": [], "exec_processes": [], "signals": [], "user": {"user_idname": {"pattern": "",
  "strategy": "any"}, "group_idnames": [{"pattern": "", "strategy": "any"}], "umask": "0022"},
  "capabilities": null, "seccomp_profile_sha256": "", "allow_elevated": false,
  "working_dir": "/", "allow_stdio_access": false, "no_new_privileges": false}]
`;

const policy = {
  ...generatedPolicy(),
  fragments: [{ issuer: contoso.did, feed: FEED, minimum_svn: '1', includes: ['containers'] }],
};

const fragmentMessage = (issuer: typeof contoso, mediaType = '') => modifySettingsMessage(50,
  UVM_CONTAINER_ID, 'SecurityPolicyFragment', 'Add', {
    Fragment: Buffer.from(signFragment({ regoText: FRAGMENT, feed: FEED, issuer, svn: 2 }))
      .toString('base64'), MediaType: mediaType });

test('guest/fragments: a fragment by the named issuer loads; its layer can then be mounted', () => {
  const { world, state } = benignPrefix(BENIGN.scratch, policy);
  world.attachLayer(8, SIDECAR);
  const before = world.step(state, scsiLayer(8, '/run/mounts/scsi/m8'));
  assertRefused(before, state, { layer: 'policy', rule: 'mount_device' });
  const loaded = world.step(state, fragmentMessage(contoso));
  assertAccepted(loaded);
  assert.ok(Object.keys(loaded.state.metadata.issuers).includes(contoso.did));
  assertAccepted(world.step(loaded.state, scsiLayer(8, '/run/mounts/scsi/m8')));
});

test('guest/fragments: a fragment by another issuer is denied; nothing changes', () => {
  const { world, state } = benignPrefix(BENIGN.scratch, policy);
  assertRefused(world.step(state, fragmentMessage(mallory)), state,
    { layer: 'policy', rule: 'load_fragment', reason: 'issuer' });
});

test('guest/fragments: before a policy is installed the closed-door enforcer denies fragments',
  () => {
    const { world } = benignPrefix(0, policy);
    const guest = bootedGuest(policyBytes(policy));
    assertRefused(world.step(guest, fragmentMessage(contoso)), guest,
      { layer: 'policy', rule: 'load_fragment', reason: 'closed-door' });
  });

test('guest/fragments: a reference-info blob of another media type is accepted, no rule asked',
  () => {
    const { world, state } = benignPrefix(BENIGN.scratch, policy);
    const step = world.step(state, fragmentMessage(contoso, 'application/vnd.example.tcb+json'));
    assertAccepted(step);
    assert.ok(step.state === state && step.decision === null);
  });

test.run();

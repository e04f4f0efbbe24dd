/**
 * Goal: installing the security policy and fragments (agent-policy.ts) decodes the policy as Go's
 * base64.StdEncoding does, refuses what SetConfidentialOptions refuses with the GCS's words, and
 * records what it installed: the policy blob and its digest, the fragment's issuer, feed,
 * namespace, SVN and text digest, and a trace event naming each.
 * Method: hand-written base64 (its bytes written out here), policies whose bytes are or are not
 * the guest's HOST_DATA, a policy text that is not a policy, and a fragment signed by a
 * deterministic test issuer; digests are SHA-256 of the bytes the test sent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { modifySettingsMessage } from '../../models/guest/bridge-protocol.js';
import { UVM_CONTAINER_ID } from '../../models/guest/guest-state.js';
import { decodeStdBase64 } from '../../models/guest/agent-policy.js';
import { signFragment } from '../../models/policy/fragment-envelope.js';
import { createTestIssuer } from '../../models/policy/test-issuers.js';
import {
  BENIGN, TestWorld, benignPrefix, bootedGuest, generatedPolicy, negotiate, policyBytes, run,
  setPolicy, sha256Hex, text,
} from './agent-support.js';
import { assertAccepted, assertRefused } from './agent-assert.js';

const decoded = (s: string): string | null => {
  const bytes = decodeStdBase64(s);
  return bytes === null ? null : new TextDecoder().decode(bytes);
};

test('guest/policy-install: base64 is Go\'s StdEncoding: CR and LF skipped, padding and '
  + 'alphabet strict', () => {
  assert.is(decoded('aGk='), 'hi');
  assert.is(decoded('aG\r\nk='), 'hi');
  assert.is(decoded('aG\rk='), 'hi', 'a lone CR');
  assert.is(decoded('a\nGk='), 'hi', 'a lone LF');
  assert.is(decoded(''), '');
  assert.is(decoded('aGk'), null, 'unpadded');
  assert.is(decoded('aG!k'), null, 'outside the alphabet');
  assert.is(decoded('aGl='), null, 'non-canonical padding bits');
  assert.is(decoded('aG k='), null, 'a space is not skipped');
});

function guestWithPolicy(bytes: Uint8Array, name: string) {
  const world = new TestWorld();
  const { states } = run(world, bootedGuest(bytes, name), [negotiate()]);
  return { world, state: states[1]! };
}

test('guest/policy-install: a policy that is not base64 is a bad message', () => {
  const { world, state } = guestWithPolicy(text('x'), 'install-b64');
  const step = world.step(state, modifySettingsMessage(3, UVM_CONTAINER_ID, 'SecurityPolicy',
    'Add', { EnforcerType: 'rego', EncodedSecurityPolicy: 'not base64!' }));
  assertRefused(step, state, { layer: 'message', code: 'GUEST_BAD_MESSAGE' });
  assert.is(step.refusal?.reason, 'EncodedSecurityPolicy is not standard base64');
});

test('guest/policy-install: bytes that match HOST_DATA but are no policy fail creating the '
  + 'enforcer, with the importer\'s error code', () => {
  const bytes = text('this is not a policy');
  const { world, state } = guestWithPolicy(bytes, 'install-junk');
  const step = world.step(state, setPolicy(bytes));
  assertRefused(step, state, { layer: 'policy' });
  assert.ok(step.refusal!.reason.startsWith('error creating security policy enforcer: '),
    step.refusal!.reason);
  assert.ok(step.refusal!.code !== null && step.refusal!.code.startsWith('POLICY_'),
    String(step.refusal!.code));
});

test('guest/policy-install: the policy is installed by digest, its bytes kept as a blob, once',
  () => {
  const bytes = policyBytes(generatedPolicy());
  const digest = sha256Hex(bytes);
  const { world, state } = guestWithPolicy(bytes, 'install-ok');
  const step = world.step(state, setPolicy(bytes));
  assertAccepted(step);
  assert.equal(step.state.policy, { digest, enforcerType: 'rego' });
  assert.is(step.blobs.length, 1);
  assert.is(step.blobs[0]!.digest, digest);
  assert.equal([...step.blobs[0]!.bytes], [...bytes]);
  assert.equal(step.events.find((e) => e.type === 'security_policy_set')?.data,
    { digest, host_data: digest });
  const again = world.step(step.state, setPolicy(bytes));
  assertRefused(again, step.state, { layer: 'structure', check: 'policy_once' });
  assert.is(again.refusal?.reason, 'security policy has already been set');
});

test('guest/policy-install: a policy that is not the HOST_DATA is refused, both digests named',
  () => {
  const bytes = policyBytes(generatedPolicy());
  const { world, state } = guestWithPolicy(text('another policy'), 'install-mismatch');
  const step = world.step(state, setPolicy(bytes));
  assertRefused(step, state, { layer: 'structure', check: 'policy_host_data' });
  assert.is(step.refusal?.reason, `security policy digest ${sha256Hex(bytes)} does not match `
    + `HOST_DATA ${sha256Hex(text('another policy'))} of the guest's own report`);
});

const FEED = 'contoso.azurecr.io/sidecar';
const contoso = createTestIssuer({ seed: 'guest-contoso' });
const mallory = createTestIssuer({ seed: 'guest-mallory' });
const FRAGMENT = `package sidecar

svn := "2"
framework_version := "0.5.0"
`;
const policy = {
  ...generatedPolicy(),
  fragments: [{ issuer: contoso.did, feed: FEED, minimum_svn: '1', includes: ['containers'] }],
};
const fragment = (issuer: typeof contoso, mediaType = '', svn: number | null = 2) =>
  modifySettingsMessage(50, UVM_CONTAINER_ID, 'SecurityPolicyFragment', 'Add', {
    Fragment: Buffer.from(signFragment({ regoText: FRAGMENT, feed: FEED, issuer,
      ...(svn === null ? {} : { svn }) })).toString('base64'), MediaType: mediaType });

test('guest/policy-install: a loaded fragment is recorded by its text digest with issuer, feed, '
  + 'namespace and SVN', () => {
  const { world, state } = benignPrefix(BENIGN.scratch, policy);
  const step = world.step(state, fragment(contoso));
  assertAccepted(step);
  const digest = sha256Hex(text(FRAGMENT));
  assert.equal(step.state.fragments, { [digest]: { issuer: contoso.did, feed: FEED,
    namespace: 'sidecar', svn: '2', text: digest } });
  assert.equal(step.blobs.map((b) => b.digest), [digest]);
  assert.equal(step.events.find((e) => e.type === 'load_fragment'),
    { source: 'policy', type: 'load_fragment', data: { allowed: true, stage: 'module',
      reasons: [], issuer: contoso.did, feed: FEED } });
  assert.is(step.decision?.rule, 'load_fragment');
});

test('guest/policy-install: a fragment whose envelope has no SVN header is recorded with SVN '
  + 'null (its module\'s svn is what load_fragment compares)', () => {
  const { world, state } = benignPrefix(BENIGN.scratch, policy);
  const step = world.step(state, fragment(contoso, '', null));
  assertAccepted(step);
  const digest = sha256Hex(text(FRAGMENT));
  assert.equal(step.state.fragments[digest], { issuer: contoso.did, feed: FEED,
    namespace: 'sidecar', svn: null, text: digest });
});

test('guest/policy-install: a denied fragment is traced with its issuer and refused with the '
  + 'stage and reasons', () => {
  const { world, state } = benignPrefix(BENIGN.scratch, policy);
  const step = world.step(state, fragment(mallory));
  assertRefused(step, state, { layer: 'policy', rule: 'load_fragment' });
  const event = step.events.find((e) => e.type === 'load_fragment');
  const data = event?.data as { allowed: boolean; stage: string; reasons: string[];
    issuer: string; feed: string };
  assert.equal([event?.source, data.allowed, data.stage, data.issuer, data.feed],
    ['policy', false, 'issuer-feed', mallory.did, FEED]);
  assert.is(step.refusal?.reason,
    `load_fragment denied at issuer-feed: ${data.reasons.join('; ')}`);
  assert.is(step.refusal?.code, null, 'a policy denial has no error code');
  assert.is(step.decision?.rule, 'load_fragment');
  const junk = world.step(state, modifySettingsMessage(51, UVM_CONTAINER_ID,
    'SecurityPolicyFragment', 'Add', { Fragment: 'aGk=', MediaType: '' }));
  assertRefused(junk, state, { layer: 'policy', rule: 'load_fragment', reason: 'at envelope' });
  assert.ok(junk.refusal?.code !== null, 'an envelope error keeps its code');
  const junkEvent = junk.events.find((e) => e.type === 'load_fragment');
  const junkData = junkEvent?.data as Record<string, unknown>;
  assert.equal([junkData['issuer'], junkData['feed']], [null, null]);
});

test('guest/policy-install: the fragment media type named explicitly loads like the default; '
  + 'before a policy the closed-door enforcer denies it', () => {
  const { world, state } = benignPrefix(BENIGN.scratch, policy);
  const step = world.step(state, fragment(contoso, 'application/cose-x509+rego'));
  assertAccepted(step);
  assert.equal(Object.keys(step.state.fragments), [sha256Hex(text(FRAGMENT))]);
  const guest = guestWithPolicy(policyBytes(policy), 'install-closed');
  const closed = guest.world.step(guest.state, fragment(contoso));
  assertRefused(closed, guest.state, { layer: 'policy', rule: 'load_fragment' });
  assert.is(closed.refusal?.reason, 'no security policy has been set: the closed-door enforcer '
    + 'denies every request');
  assert.equal(closed.events.find((e) => e.source === 'policy'), { source: 'policy',
    type: 'load_fragment', data: { allowed: false, enforcer: 'closed-door' } });
});

test('guest/policy-install: a transparency trust list is refused as not modelled; other media '
  + 'types are traced, cut to 120 characters', () => {
  const { world, state } = benignPrefix(BENIGN.scratch, policy);
  const trust = world.step(state, fragment(contoso,
    'application/vnd.transparency-trust-list.v1+cose'));
  assertRefused(trust, state, { layer: 'policy', rule: 'load_transparency_trust_list' });
  assert.is(trust.refusal?.reason, 'load_transparency_trust_list is not modelled');
  const type = `application/${'x'.repeat(200)}`;
  const other = world.step(state, fragment(contoso, type));
  assertAccepted(other);
  assert.equal(other.events.find((e) => e.type === 'reference_info_received')?.data,
    { mediaType: type.slice(0, 120) });
  assert.ok(other.state === state);
});

test.run();

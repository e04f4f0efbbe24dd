/**
 * Goal: end to end, a signed fragment goes through the envelope checks and both load_fragment
 * calls: a valid one loads and its containers become candidates; a bad issuer, a bad feed, a low
 * SVN, an SVN type mismatch, a reserved namespace, a smuggled package line, a bad signature and
 * loading twice are each denied with their reason, and a denial leaves the metadata as it was.
 * Method: the real hcsshim policy-engine-simulator policy and fragment (shared/testdata), with the
 * policy's fragment issuer `did:web:contoso.com` replaced by a deterministic test issuer's
 * did:x509 (the real GCS accepts only did:x509 issuers); reasons are framework.rego's texts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { signFragment } from '../../models/policy/fragment-envelope.js';
import { loadSignedFragment } from '../../models/policy/fragment-load.js';
import { importRegoPolicy } from '../../models/policy/import-rego.js';
import { emptyMetadata, type PolicyMetadata } from '../../models/policy/metadata.js';
import { createTestIssuer } from '../../models/policy/test-issuers.js';
import { shared, sharedTest } from '../support/requires.js';

const FEED = 'contoso.azurecr.io/infra';
const contoso = createTestIssuer({ seed: 'contoso' });
const mallory = createTestIssuer({ seed: 'mallory' });

type Fixture = Readonly<{ policyText: string; fragmentText: string }>;

function fixture(): Fixture {
  const dir = shared('policies', 'hcsshim', 'policyenginesimulator_simple_framework');
  const policyText = readFileSync(`${dir}/policy.rego`, 'utf8');
  assert.ok(policyText.includes('"issuer": "did:web:contoso.com"'),
    'the real policy names the contoso issuer');
  return { policyText: policyText.replace('did:web:contoso.com', contoso.did),
    fragmentText: readFileSync(`${dir}/fragment.rego`, 'utf8') };
}

function sign(regoText: string, options: { feed?: string; svn?: string | number;
    issuer?: typeof contoso } = {}): Uint8Array {
  return signFragment({
    regoText, feed: options.feed ?? FEED, issuer: options.issuer ?? contoso,
    ...(options.svn === undefined ? {} : { svn: options.svn }),
  });
}

/** The real fragment's layers all appear in the policy too: give its container one of its own. */
const OWN_LAYER = 'ab'.repeat(32);
function withOwnLayer(f: Fixture): string {
  const first = importRegoPolicy(f.fragmentText).containers[0]!.layers[0]!;
  const policyLayers = new Set(importRegoPolicy(f.policyText).containers.flatMap((c) => c.layers));
  assert.not.ok(policyLayers.has(OWN_LAYER));
  const text = f.fragmentText.replace(`"${first}"`, `"${OWN_LAYER}"`);
  assert.is.not(text, f.fragmentText);
  return text;
}

sharedTest('policy/fragment-load: the real simulator fragment, signed by the named issuer, '
  + 'loads', () => {
  const f = fixture();
  const outcome = loadSignedFragment(importRegoPolicy(f.policyText), emptyMetadata(),
    sign(f.fragmentText));
  assert.ok(outcome.allowed, outcome.reasons.join('; '));
  const feeds = outcome.metadata.issuers[contoso.did]?.feeds[FEED];
  assert.is(feeds?.length, 1);
  assert.is(feeds?.[0]?.namespace, 'fragment');
  assert.is(feeds?.[0]?.containers?.length, 1,
    'includes ["containers"] brings the fragment container');
});

sharedTest('policy/fragment-load: a loaded fragment container becomes a mount_device '
  + 'candidate', () => {
  const f = fixture();
  const policy = importRegoPolicy(f.policyText);
  const input = { target: '/run/mounts/scsi/m1', deviceHash: OWN_LAYER,
    mountPathRegex: '/run/mounts/scsi/m[0-9]+' };
  assert.not.ok(evaluateEnforcementPoint(policy, emptyMetadata(), 'mount_device', input).allowed,
    'before loading');
  const loaded = loadSignedFragment(policy, emptyMetadata(), sign(withOwnLayer(f)));
  assert.ok(loaded.allowed, loaded.reasons.join('; '));
  assert.ok(evaluateEnforcementPoint(policy, loaded.metadata, 'mount_device', input).allowed,
    'after loading');
});

sharedTest('policy/fragment-load: loading the same fragment twice is denied and changes '
  + 'nothing', () => {
  const f = fixture();
  const policy = importRegoPolicy(f.policyText);
  const once = loadSignedFragment(policy, emptyMetadata(), sign(f.fragmentText));
  const twice = loadSignedFragment(policy, once.metadata, sign(f.fragmentText));
  assert.not.ok(twice.allowed);
  assert.is(twice.stage, 'module');
  assert.ok(twice.reasons.some((r) => r.includes('already loaded')), twice.reasons.join('; '));
  assert.is(twice.metadata, once.metadata);
});

function denied(f: Fixture, envelope: Uint8Array, metadata: PolicyMetadata = emptyMetadata()) {
  const outcome = loadSignedFragment(importRegoPolicy(f.policyText), metadata, envelope);
  assert.not.ok(outcome.allowed);
  assert.is(outcome.metadata, metadata, 'a denial leaves the metadata object as it was');
  return outcome;
}

sharedTest('policy/fragment-load: a fragment from an issuer the policy does not name is an invalid '
    + 'issuer', () => {
  const f = fixture();
  const outcome = denied(f, sign(f.fragmentText, { issuer: mallory }));
  assert.is(outcome.stage, 'issuer-feed');
  assert.equal([...outcome.reasons], ['invalid fragment issuer']);
});

sharedTest('policy/fragment-load: a fragment on a feed the policy does not name is an invalid feed',
    () => {
  const f = fixture();
  const outcome = denied(f, sign(f.fragmentText, { feed: 'contoso.azurecr.io/other' }));
  assert.is(outcome.stage, 'issuer-feed');
  assert.equal([...outcome.reasons], ['invalid fragment feed']);
});

sharedTest('policy/fragment-load: a fragment svn below minimum_svn "1" is denied', () => {
  const f = fixture();
  const text = f.fragmentText.replace('svn := "1"', 'svn := "0"');
  assert.is.not(text, f.fragmentText);
  const outcome = denied(f, sign(text));
  assert.is(outcome.stage, 'module');
  assert.ok(outcome.reasons.includes('fragment svn is below the specified minimum'),
    outcome.reasons.join('; '));
});

sharedTest('policy/fragment-load: a header svn below the minimum is denied before the module loads',
    () => {
  const f = fixture();
  const outcome = denied(f, sign(f.fragmentText, { svn: '0' }));
  assert.is(outcome.stage, 'issuer-feed');
  assert.ok(outcome.reasons.includes('fragment svn is below the specified minimum'),
    outcome.reasons.join('; '));
});

sharedTest('policy/fragment-load: a semver fragment svn against the integer minimum "1" is a type '
    + 'mismatch', () => {
  const f = fixture();
  const outcome = denied(f, sign(f.fragmentText.replace('svn := "1"', 'svn := "1.0.0"')));
  assert.ok(outcome.reasons.includes('fragment svn and the specified minimum are different types'),
    outcome.reasons.join('; '));
});

sharedTest('policy/fragment-load: a reserved namespace is refused at the envelope, before any rule',
    () => {
  const f = fixture();
  const outcome = denied(f, sign(f.fragmentText.replace('package fragment', 'package framework')));
  assert.is(outcome.stage, 'envelope');
  assert.is(outcome.code, 'POLICY_FRAGMENT_RESERVED_NAMESPACE');
});

sharedTest('policy/fragment-load: a smuggled second package line is refused at the '
  + 'envelope', () => {
  const f = fixture();
  const outcome = denied(f, sign(f.fragmentText.replace('package fragment\n',
    'package fragment\npackage framework\n')));
  assert.is(outcome.stage, 'envelope');
  assert.is(outcome.code, 'POLICY_FRAGMENT_BAD_PACKAGE');
});

sharedTest('policy/fragment-load: a fragment edited after signing is refused at the '
  + 'envelope', () => {
  const f = fixture();
  const envelope = sign(f.fragmentText);
  const at = Buffer.from(envelope).indexOf(Buffer.from('rustc'));
  const edited = envelope.slice();
  edited[at] = 'R'.charCodeAt(0);
  const outcome = denied(f, edited);
  assert.is(outcome.stage, 'envelope');
  assert.is(outcome.code, 'POLICY_FRAGMENT_BAD_SIGNATURE');
});

test.run();

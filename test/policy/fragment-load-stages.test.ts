/**
 * Goal: loadSignedFragment reports the stage that decided and keeps the metadata object on every
 * denial: an envelope refusal and an import failure carry their SimError code and message, the
 * first load_fragment call sees the header SVN, the second sees the module's data (a fragment
 * without framework_version reads as null, "missing"), and an accepted fragment's includes land
 * under its issuer and feed.
 * Method: a hand-built policy naming one fragment (issuer = a deterministic test issuer's DID)
 * and small hand-written fragment texts; expected reasons are framework.rego's texts (spec (c)).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signFragment } from '../../models/policy/fragment-envelope.js';
import { loadSignedFragment } from '../../models/policy/fragment-load.js';
import { emptyMetadata } from '../../models/policy/metadata.js';
import { createTestIssuer } from '../../models/policy/test-issuers.js';
import { securityPolicy } from './engine-support.js';

const SUITE = 'policy/fragment-load-stages';
const FEED = 'contoso.azurecr.io/infra';
const issuer = createTestIssuer({ seed: 'load-stages' });
const policy = securityPolicy({ fragments: [{ issuer: issuer.did, feed: FEED, minimum_svn: '2',
  includes: ['containers', 'fragments', 'external_processes'] }] });

const FRAGMENT = [
  'package tools',
  'svn := "3"',
  'framework_version := "0.2.3"',
  'containers := []',
  'fragments := [{"issuer": "did:web:x", "feed": "x/y", "minimum_svn": "1", "includes": []}]',
  'external_processes := [{"command": ["bash"], "env_rules": [], "working_dir": "/",',
  '  "allow_stdio_access": false}]',
  '',
].join('\n');

const sign = (regoText: string, svn?: string): Uint8Array => signFragment({ regoText, feed: FEED,
  issuer, ...(svn === undefined ? {} : { svn }) });

test(`${SUITE}: an accepted fragment's includes land under its issuer and feed`, () => {
  const metadata = emptyMetadata();
  const outcome = loadSignedFragment(policy, metadata, sign(FRAGMENT, '3'));
  assert.ok(outcome.allowed, outcome.reasons.join('; '));
  assert.is(outcome.stage, 'module');
  assert.equal([...outcome.reasons], []);
  assert.is(outcome.code, undefined);
  assert.is(outcome.fragment?.namespace, 'tools');
  assert.ok(outcome.decision?.allowed);
  const loaded = outcome.metadata.issuers[issuer.did]?.feeds[FEED];
  assert.is(loaded?.length, 1);
  assert.is(loaded?.[0]?.namespace, 'tools');
  assert.is(loaded?.[0]?.svn, '3');
  assert.equal(loaded?.[0]?.containers, []);
  assert.equal(loaded?.[0]?.fragments?.map((f) => f.feed), ['x/y']);
  assert.equal(loaded?.[0]?.external_processes?.map((p) => p.command), [['bash']]);
  assert.equal(metadata.issuers, {}, 'the metadata passed in is not changed');
});

test(`${SUITE}: an envelope refusal is stage envelope with its code and message`, () => {
  const metadata = emptyMetadata();
  const outcome = loadSignedFragment(policy, metadata, 'not base64!');
  assert.not.ok(outcome.allowed);
  assert.is(outcome.stage, 'envelope');
  assert.is(outcome.code, 'POLICY_BAD_FRAGMENT');
  assert.equal([...outcome.reasons], ['POLICY_BAD_FRAGMENT: fragment: not standard base64']);
  assert.is(outcome.metadata, metadata);
  assert.not.ok('fragment' in outcome);
  assert.not.ok('decision' in outcome);
});

test(`${SUITE}: a header svn below the minimum is refused by the first call`, () => {
  const metadata = emptyMetadata();
  const outcome = loadSignedFragment(policy, metadata, sign(FRAGMENT, '1'));
  assert.not.ok(outcome.allowed);
  assert.is(outcome.stage, 'issuer-feed');
  assert.equal([...outcome.reasons], ['fragment svn is below the specified minimum']);
  assert.is(outcome.metadata, metadata);
  assert.is(outcome.fragment?.svn, '1');
  assert.not.ok(outcome.decision?.allowed);
});

test(`${SUITE}: a fragment whose data does not import is stage import, with the fragment`, () => {
  const metadata = emptyMetadata();
  const outcome = loadSignedFragment(policy, metadata, sign('package tools\nsvn := \n'));
  assert.not.ok(outcome.allowed);
  assert.is(outcome.stage, 'import');
  assert.ok(outcome.code?.startsWith('POLICY_'), outcome.code);
  assert.is(outcome.reasons.length, 1);
  assert.ok(outcome.reasons[0]!.startsWith(`${outcome.code}: `), outcome.reasons[0]);
  assert.is(outcome.fragment?.namespace, 'tools');
  assert.is(outcome.metadata, metadata);
  assert.not.ok('decision' in outcome);
});

test(`${SUITE}: a fragment without framework_version is "missing" at the second call`, () => {
  const metadata = emptyMetadata();
  const text = FRAGMENT.replace('framework_version := "0.2.3"\n', '');
  const outcome = loadSignedFragment(policy, metadata, sign(text));
  assert.not.ok(outcome.allowed);
  assert.is(outcome.stage, 'module');
  assert.ok(outcome.reasons.some((r) => r.startsWith('fragment framework_version is missing')),
    outcome.reasons.join('; '));
  assert.is(outcome.metadata, metadata);
  assert.ok(outcome.decision !== undefined);
});

test(`${SUITE}: the module svn is what the second call checks`, () => {
  const outcome = loadSignedFragment(policy, emptyMetadata(),
    sign(FRAGMENT.replace('svn := "3"', 'svn := "1"')));
  assert.not.ok(outcome.allowed);
  assert.is(outcome.stage, 'module');
  assert.equal([...outcome.reasons], ['fragment svn is below the specified minimum']);
});

test(`${SUITE}: a caller's bug (an envelope neither bytes nor text) throws: no denial`, () => {
  assert.throws(() => loadSignedFragment(policy, emptyMetadata(), null as unknown as string),
    (error: unknown) => error instanceof TypeError);
});

test.run();

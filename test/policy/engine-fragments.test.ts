/**
 * Goal: load_fragment's two calls follow spec (c): issuer and feed from the policy's fragments,
 * SVN rules (string vs number, header vs fragment), reserved namespaces, loading twice, and
 * fragment containers becoming candidates for mount_device / mount_overlay.
 * Method: hand-built policy with one fragment reference; fragment data given as the second call's
 * `fragment` (the envelope is verified elsewhere).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint } from '../../models/policy/engine.js';
import { emptyMetadata } from '../../models/policy/metadata.js';
import { errorCode } from '../../sim/kernel/errors.js';
import {
  ID, container, createInput, hash, last, mountCalls, run, securityPolicy
} from './engine-support.js';

const ISSUER = 'did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::eku:1.3.6.1.4.1.311.'
  + '76.59.1.3';
const FEED = 'mcr.microsoft.com/aci/aci-cc-infra-fragment';
const fragmentContainer = container({ name: 'infra', layers: [hash(42)], command: ['/infra'] });
const policy = securityPolicy({ fragments: [{ issuer: ISSUER, feed: FEED, minimum_svn: '2',
  includes: ['containers', 'fragments'] }] });
const doc = (overrides: Record<string, unknown> = {}) =>
  ({ svn: '3', framework_version: '0.2.3', containers: [fragmentContainer], fragments: [],
  external_processes: [], ...overrides });
const header = { issuer: ISSUER, feed: FEED, namespace: 'infra' };

test('policy/engine load_fragment: call 1 checks issuer and feed and writes nothing; call 2 adds '
    + 'the includes', () => {
  const [one, two] = run(policy, [['load_fragment', { ...header, fragment_loaded: false }],
    ['load_fragment', { ...header, fragment_loaded: true, fragment: doc() }]]);
  assert.ok(one!.allowed);
  assert.equal(one!.delta, []);
  assert.ok(two!.allowed, two!.reasons.join(' | '));
  assert.is(two!.add_module, false);
  assert.equal(two!.metadata.issuers[ISSUER]!.feeds[FEED]!.map((f) => f.namespace), ['infra']);
});

test('policy/engine load_fragment: fragment containers become candidates for mount_device and '
    + 'mount_overlay', () => {
  const before = evaluateEnforcementPoint(policy, emptyMetadata(), 'mount_device',
    { target: '/run/mounts/scsi/m0', deviceHash: hash(42) });
  assert.ok(before.reasons.includes('deviceHash not found'));
  const loaded = evaluateEnforcementPoint(policy, emptyMetadata(), 'load_fragment',
    { ...header, fragment_loaded: true, fragment: doc() });
  const ds = run(policy, [...mountCalls(fragmentContainer.layers, ID(1)),
    ['create_container', createInput(fragmentContainer, ID(1))]], loaded.metadata);
  assert.ok(ds.every((d) => d.allowed), ds.map((d) => d.reasons.join(',')).join(' | '));
});

const denials: readonly (readonly [string, Record<string, unknown>, string])[] = [
  ['an issuer the policy does not name', { issuer: 'did:x509:0:sha256:evil::eku:1',
    fragment_loaded: false }, 'invalid fragment issuer'],
  ['a feed the issuer is not trusted for', { feed: 'evil.azurecr.io/x', fragment_loaded: false },
    'invalid fragment feed'],
  ['an SVN below minimum_svn', { fragment_loaded: true, fragment: doc({ svn: '1' }) },
    'fragment svn is below the specified minimum'],
  ['a semver SVN against an integer minimum', { fragment_loaded: true,
    fragment: doc({ svn: '3.0.0' }) },
    'fragment svn and the specified minimum are different types'],
  ['a header SVN that differs from the fragment SVN',
    { fragment_loaded: true, header_svn: '4', fragment: doc() },
    'svn in header does not match svn in fragment'],
  ['a fragment without svn', { fragment_loaded: true, fragment: doc({ svn: null }) },
    'missing fragment svn'],
  ['a reserved namespace', { namespace: 'framework', fragment_loaded: false },
    'fragment namespace framework is reserved'],
  ['a fragment framework_version ahead of the engine',
    { fragment_loaded: true, fragment: doc({ framework_version: '9.9.9' }) },
    'fragment framework_version is ahead of the current version: 9.9.9 is greater than 0.5.0'],
];
/** framework.rego's load_fragment errors: what the GCS reports; the rest are Go-side or notes. */
const FRAMEWORK_ERRORS = new Set(['invalid fragment issuer', 'invalid fragment feed',
  'fragment svn is below the specified minimum',
  'fragment svn and the specified minimum are different types',
  'fragment framework_version is ahead of the current version: 9.9.9 is greater than 0.5.0']);
for (const [condition, overrides, reason] of denials) {
  const reported = FRAMEWORK_ERRORS.has(reason) ? [reason] : [];
  test(`policy/engine load_fragment: ${condition}: the GCS reports ${JSON.stringify(reported)} `
    + '(framework errors only)', () => {
    const d = evaluateEnforcementPoint(policy, emptyMetadata(), 'load_fragment',
      { ...header, ...overrides });
    assert.equal(d.framework_reasons, reported);
  });
}

for (const [condition, overrides, reason] of denials) {
  test(`policy/engine load_fragment: ${condition} is denied with "${reason}"`, () => {
    const d = evaluateEnforcementPoint(policy, emptyMetadata(), 'load_fragment',
      { ...header, ...overrides });
    assert.is(d.allowed, false);
    assert.ok(d.reasons.includes(reason), d.reasons.join(' | '));
    assert.equal(d.metadata.issuers, {});
  });
}

test('policy/engine load_fragment: an integer SVN meets a string minimum ("2" vs 3) and vice versa',
    () => {
  assert.ok(evaluateEnforcementPoint(policy, emptyMetadata(), 'load_fragment',
    { ...header, fragment_loaded: true, fragment: doc({ svn: 3 }) }).allowed);
  const intMin = securityPolicy({ fragments: [{ issuer: ISSUER, feed: FEED, minimum_svn: 1,
    includes: ['containers'] }] });
  assert.ok(evaluateEnforcementPoint(intMin, emptyMetadata(), 'load_fragment',
    { ...header, fragment_loaded: true, fragment: doc({ svn: '1' }) }).allowed);
});

test('policy/engine load_fragment: loading the same fragment twice is denied the second time',
    () => {
  const ds = run(policy, [['load_fragment', { ...header, fragment_loaded: true, fragment: doc() }],
    ['load_fragment', { ...header, fragment_loaded: true, fragment: doc() }]]);
  assert.ok(ds[0]!.allowed);
  assert.is(ds[1]!.allowed, false);
  assert.ok(ds[1]!.reasons.some((r) => r.includes('already loaded')));
});

test('policy/engine load_fragment: a fragment included by a loaded fragment becomes loadable',
    () => {
  const nested = { issuer: 'did:web:nested', feed: 'nested/feed', minimum_svn: '1',
    includes: ['containers'] };
  const ds = run(policy, [
    ['load_fragment', { issuer: nested.issuer, feed: nested.feed, namespace: 'n',
      fragment_loaded: false }],
    ['load_fragment', { ...header, fragment_loaded: true, fragment: doc({ fragments: [nested] }) }],
    ['load_fragment', { issuer: nested.issuer, feed: nested.feed, namespace: 'n',
      fragment_loaded: false }],
  ]);
  assert.equal(ds.map((d) => d.allowed), [false, true, true]);
});

test('policy/engine load_fragment: call 2 without fragment data, or with a malformed container, is '
    + 'POLICY_BAD_INPUT', () => {
  assert.is(errorCode(() => evaluateEnforcementPoint(policy, emptyMetadata(), 'load_fragment',
    { ...header, fragment_loaded: true })), 'POLICY_BAD_INPUT');
  assert.is(errorCode(() => evaluateEnforcementPoint(policy, emptyMetadata(), 'load_fragment',
    { ...header, fragment_loaded: true, fragment: doc({ containers: [{ layers: 'x' }] }) })),
    'POLICY_BAD_INPUT');
});

test('policy/engine load_fragment: "namespace" in includes asks to keep the module (add_module)',
    () => {
  const withNs = securityPolicy({ fragments: [{ issuer: ISSUER, feed: FEED, minimum_svn: '1',
    includes: ['namespace'] }] });
  const d = last(run(withNs, [['load_fragment', { ...header, fragment_loaded: true,
    fragment: doc() }]]));
  assert.is(d.add_module, true);
  assert.is(d.metadata.issuers[ISSUER]!.feeds[FEED]![0]!.containers, undefined);
});

test.run();

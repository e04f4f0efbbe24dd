/**
 * Goal: load_fragment's checks one by one (every reserved namespace; several references under one
 * issuer and feed; SVN types; a fragment framework_version missing or not a version; the same
 * namespace twice; two feeds of one issuer kept side by side; hostile fragment data refused by
 * field), and which candidates loaded fragments contribute: v0.14.1 drops them when the policy's
 * own framework_version is unusable, HEAD does not; the compatibility shim keeps a container that
 * lacks nothing. Written after mutation testing showed these branches of rules/fragments.ts,
 * rules/fragment-document.ts and rules/candidates.ts untested.
 * Method: hand-built policies with fragment references; fragment data given as the second call's
 * `fragment` (the envelope is verified elsewhere). Expected errors are spec (c)'s strings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateEnforcementPoint, type EngineOptions } from '../../models/policy/engine.js';
import {
  emptyMetadata, initialMetadata, type PolicyMetadata,
} from '../../models/policy/metadata.js';
import { fragmentDocumentFromPolicy } from '../../models/policy/rules/fragment-document.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { FragmentReference, SecurityPolicy } from '../../models/policy/policy-model.js';
import {
  ID, container, env, hash, last, mountCalls, run, securityPolicy,
} from './engine-support.js';

const SUITE = 'policy/engine-fragment-rules';
const ISSUER = 'did:x509:0:sha256:abc::eku:1.3.6.1.4.1.311.76.59.1.3';
const FEED = 'contoso.azurecr.io/infra';
const ref = (overrides: Partial<FragmentReference> = {}): FragmentReference =>
  ({ issuer: ISSUER, feed: FEED, minimum_svn: '2', includes: ['containers'], ...overrides });
const doc = (overrides: Record<string, unknown> = {}) => ({ svn: '3', framework_version: '0.2.3',
  containers: [], fragments: [], external_processes: [], ...overrides });
const call2 = (namespace: string, fragment: unknown, extra: Record<string, unknown> = {}) =>
  ({ issuer: ISSUER, feed: FEED, namespace, fragment_loaded: true, fragment, ...extra });

function loadFragment(policy: SecurityPolicy, input: unknown,
    metadata: PolicyMetadata = emptyMetadata(), options: EngineOptions = {}) {
  return evaluateEnforcementPoint(policy, metadata, 'load_fragment', input, options);
}

test(`${SUITE}: every reserved namespace (framework, api, policy, metadata) is refused`, () => {
  const policy = securityPolicy({ fragments: [ref()] });
  for (const namespace of ['framework', 'api', 'policy', 'metadata']) {
    const d = loadFragment(policy, { issuer: ISSUER, feed: FEED, namespace });
    assert.not.ok(d.allowed, namespace);
    assert.ok(d.reasons.includes(`fragment namespace ${namespace} is reserved`), namespace);
  }
  assert.ok(loadFragment(policy, { issuer: ISSUER, feed: FEED, namespace: 'apis' }).allowed);
});

test(`${SUITE}: with two references for one issuer and feed, an SVN that meets either minimum `
  + 'is accepted in both calls', () => {
  const policy = securityPolicy({ fragments: [ref({ minimum_svn: '5' }), ref()] });
  const one = loadFragment(policy, { issuer: ISSUER, feed: FEED, namespace: 'n',
    header_svn: '3' });
  assert.ok(one.allowed, one.reasons.join(' | '));
  const two = loadFragment(policy, call2('n', doc(), { header_svn: '3' }));
  assert.ok(two.allowed, two.reasons.join(' | '));
});

test(`${SUITE}: a semver SVN below a semver minimum but against an integer minimum too is `
  + '"different types"', () => {
  const policy = securityPolicy({ fragments: [ref({ minimum_svn: '5' }),
    ref({ minimum_svn: '2.0.0' })] });
  const d = loadFragment(policy, call2('n', doc({ svn: '1.0.0' })));
  assert.equal(d.framework_reasons,
    ['fragment svn and the specified minimum are different types']);
});

test(`${SUITE}: an issuer the policy does not name is only that, even with a header SVN; a feed `
  + 'it does not name, in call 2, is only that', () => {
  const policy = securityPolicy({ fragments: [ref()] });
  const issuer = loadFragment(policy, { issuer: 'did:x509:0:sha256:evil::eku:1', feed: FEED,
    namespace: 'n', header_svn: '1' });
  assert.equal(issuer.framework_reasons, ['invalid fragment issuer']);
  const feed = loadFragment(policy, { ...call2('n', doc({ svn: '1' })), feed: 'evil.io/x' });
  assert.equal(feed.framework_reasons, ['invalid fragment feed']);
});

test(`${SUITE}: a fragment without framework_version reports the framework's "missing" error; `
  + 'one that is not a version is refused with a note of its own', () => {
  const policy = securityPolicy({ fragments: [ref()] });
  const missing = loadFragment(policy, call2('n', doc({ framework_version: null })));
  assert.not.ok(missing.allowed);
  assert.equal(missing.framework_reasons,
    ['fragment framework_version is missing. Current version: 0.5.0']);
  const garbage = loadFragment(policy, call2('n', doc({ framework_version: 'zero' })));
  assert.not.ok(garbage.allowed);
  assert.equal(garbage.framework_reasons, []);
  assert.ok(garbage.reasons.includes('fragment framework_version "zero" is not a semantic version'),
    garbage.reasons.join(' | '));
});

test(`${SUITE}: namespaces load once per issuer and feed: a second one loads, the first again `
  + 'does not', () => {
  const policy = securityPolicy({ fragments: [ref()] });
  const ds = run(policy, [['load_fragment', call2('a', doc())],
    ['load_fragment', call2('b', doc())], ['load_fragment', call2('a', doc())]]);
  assert.equal(ds.map((d) => d.allowed), [true, true, false]);
  assert.ok(ds[2]!.reasons.includes('fragment a is already loaded for this issuer and feed'));
  assert.equal(ds[1]!.metadata.issuers[ISSUER]!.feeds[FEED]!.map((f) => f.namespace), ['b', 'a']);
});

test(`${SUITE}: two feeds of one issuer are kept side by side, each an "issuers" update`, () => {
  const OTHER = 'contoso.azurecr.io/tools';
  const policy = securityPolicy({ fragments: [ref(), ref({ feed: OTHER })] });
  const [first, second] = run(policy, [['load_fragment', call2('a', doc())],
    ['load_fragment', { ...call2('t', doc()), feed: OTHER }]]);
  assert.ok(first!.allowed && second!.allowed);
  assert.equal(second!.delta.map((op) => [op.name, op.action, op.key]),
    [['issuers', 'update', ISSUER]]);
  const feeds = second!.metadata.issuers[ISSUER]!.feeds;
  assert.equal(Object.keys(feeds), [FEED, OTHER]);
  assert.equal([feeds[FEED]!.map((f) => f.namespace), feeds[OTHER]!.map((f) => f.namespace)],
    [['a'], ['t']]);
});

test(`${SUITE}: hostile fragment data is POLICY_BAD_INPUT naming load_fragment and the field`,
  () => {
    const policy = securityPolicy({ fragments: [ref()] });
    const cases: readonly (readonly [unknown, string])[] = [
      [doc({ svn: true }), 'fragment.svn'],
      [doc({ framework_version: 5 }), 'fragment.framework_version'],
      [doc({ containers: 'all' }), 'fragment.containers'],
      [doc({ fragments: {} }), 'fragment.fragments'],
      [doc({ external_processes: 7 }), 'fragment.external_processes'],
      [undefined, 'fragment'],
      ['text', 'fragment'],
    ];
    for (const [fragment, field] of cases) {
      try {
        loadFragment(policy, call2('n', fragment));
        assert.unreachable(`${field} was accepted`);
      } catch (error) {
        assert.instance(error, SimError, field);
        const e = error as SimError;
        assert.equal([e.code, e.detail], ['POLICY_BAD_INPUT', { rule: 'load_fragment', field }]);
        assert.ok(e.message.includes(`: load_fragment: input.${field} `), e.message);
      }
    }
  });

test(`${SUITE}: an imported fragment module without framework_version reads as missing`, () => {
  const parts = { svn: 1, containers: [], fragments: [], external_processes: [] };
  assert.is(fragmentDocumentFromPolicy({ ...parts, framework_version: '' }).framework_version,
    null);
  assert.is(fragmentDocumentFromPolicy({ ...parts, framework_version: '0.2.3' })
    .framework_version, '0.2.3');
});

// Candidates contributed by a loaded fragment.
const fc = container({ name: 'from-fragment', layers: [hash(60), hash(61)], command: ['/f'] });
const fx = { command: ['fx'], env_rules: [env('A=1')], working_dir: '/', allow_stdio_access: true };
const I2 = 'did:x509:0:sha256:def::eku:1.3.6.1.4.1.311.76.59.1.3';
const rich = doc({ containers: [fc], external_processes: [fx],
  fragments: [{ issuer: I2, feed: 'contoso.azurecr.io/more', minimum_svn: '1',
    includes: ['containers'] }] });
const includes = ['containers', 'fragments', 'external_processes'];

/** The metadata after loading `rich` under a policy of a usable framework_version. */
function loaded(dialect: 'head' | 'v0.14.1'): PolicyMetadata {
  const fw = dialect === 'head' ? '0.5.0' : '0.3.0';
  const policy = securityPolicy({ framework_version: fw, fragments: [ref({ includes })] });
  const d = loadFragment(policy, call2('rich', rich), initialMetadata(dialect), { dialect });
  assert.ok(d.allowed, d.reasons.join(' | '));
  return d.metadata;
}

/** The three kinds of fragment candidate, asked under a policy of framework_version `fw`. */
function fragmentCandidates(dialect: 'head' | 'v0.14.1', fw: string): boolean[] {
  const options = { dialect };
  const policy = securityPolicy({ framework_version: fw, containers: [] });
  const md = last(run(policy, mountCalls(fc.layers, ID(1)).slice(0, 2), loaded(dialect),
    options)).metadata;
  const overlay = evaluateEnforcementPoint(policy, md, 'mount_overlay', mountCalls(fc.layers,
    ID(1))[2]![1], options);
  const external = evaluateEnforcementPoint(policy, md, 'exec_external',
    { argList: ['fx'], envList: ['A=1'], workingDir: '/' }, options);
  const nested = evaluateEnforcementPoint(policy, md, 'load_fragment',
    { issuer: I2, feed: 'contoso.azurecr.io/more', namespace: 'more' }, options);
  return [overlay.allowed, external.allowed, nested.allowed];
}

test(`${SUITE}: v0.14.1: a policy whose framework_version is ahead of the framework gets no `
  + 'candidates from loaded fragments either; at its own version it does', () => {
  assert.equal(fragmentCandidates('v0.14.1', '9.9.9'), [false, false, false]);
  assert.equal(fragmentCandidates('v0.14.1', '0.3.0'), [true, true, true]);
});

test(`${SUITE}: HEAD: loaded fragments' containers, external processes and fragments stay `
  + 'candidates whatever the policy\'s own framework_version', () => {
  assert.equal(fragmentCandidates('head', '9.9.9'), [true, true, true]);
  assert.equal(fragmentCandidates('head', '0.5.0'), [true, true, true]);
});

test(`${SUITE}: the compatibility shim keeps a container that lacks no field and drops one that `
  + 'lacks a field its framework_version has', () => {
  for (const [absent_fields, kept] of [[[], true], [['user'], false]] as const) {
    const k = container({ absent_fields });
    const policy = securityPolicy({ framework_version: '0.2.3', containers: [k] });
    const ds = run(policy, mountCalls(k.layers, ID(2)));
    assert.is(last(ds).allowed, kept, JSON.stringify(absent_fields));
  }
});

test.run();

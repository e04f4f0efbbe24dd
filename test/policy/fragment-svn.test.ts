/**
 * Goal: fragment SVN checks give framework.rego's verdicts and reason texts: below the minimum,
 * different types (number vs semver), header svn vs fragment svn, and a missing fragment svn.
 * Method: a table of cases whose expectations follow from the Rego definitions (svn_ok: semver
 * compare when both are semver, else to_number compare; svn_mismatch: to_number on one side and
 * semver.is_valid on the other; "below" only when there is no mismatch) and from SemVer 2.0.0
 * section 11, not from our implementation. Each case is checked on the predicates the engine uses
 * (svnAtLeast, svnTypesDiffer, svnEqual) and, for the reason text, through the load_fragment rule
 * (spec (c)) on a policy whose one fragment reference carries the case's minimum_svn.
 * Also did:x509 parsing: malformed DIDs are bad issuers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../sim/kernel/errors.js';
import {
  SVN_REASON, svnAtLeast, svnEqual, svnTypesDiffer, type Svn,
} from '../../models/policy/fragment-svn.js';
import { compareSemver } from '../../models/policy/match/semver.js';
import { formatDidX509, parseDidX509 } from '../../models/policy/did-x509.js';
import { evaluateEnforcementPoint, type Decision } from '../../models/policy/engine.js';
import { emptyMetadata } from '../../models/policy/metadata.js';
import { securityPolicy } from './engine-support.js';

const ISSUER = 'did:web:svn.example';
const FEED = 'example.azurecr.io/svn-fragment';
const header = { issuer: ISSUER, feed: FEED, namespace: 'svnfrag' };

/** load_fragment against a policy naming one fragment with `minimumSvn`. */
function loadFragment(minimumSvn: Svn, input: Record<string, unknown>): Decision {
  const policy = securityPolicy({
    fragments: [{ issuer: ISSUER, feed: FEED, minimum_svn: minimumSvn, includes: ['containers'] }],
  });
  return evaluateEnforcementPoint(policy, emptyMetadata(), 'load_fragment',
    { ...header, ...input });
}

/** Call 2 (module loaded) with a fragment declaring `svn` (or none when undefined). */
function loadModule(minimumSvn: Svn, svn: Svn | undefined, headerSvn?: Svn): Decision {
  const fragment = {
    framework_version: '0.2.3', containers: [], fragments: [], external_processes: [],
    ...(svn === undefined ? {} : { svn }),
  };
  const headerField = headerSvn === undefined ? {} : { header_svn: headerSvn };
  return loadFragment(minimumSvn, { fragment_loaded: true, fragment, ...headerField });
}

type Case = Readonly<{ svn: Svn; minimum: Svn; expect: 'ok' | 'below' | 'type' }>;

const CASES: readonly Case[] = [
  { svn: '1', minimum: '1', expect: 'ok' },
  { svn: '4', minimum: '1', expect: 'ok' },
  { svn: '10', minimum: '9', expect: 'ok' }, // numeric, not lexicographic
  { svn: '9', minimum: '10', expect: 'below' },
  { svn: 1, minimum: '1', expect: 'ok' }, // integer vs string: both to_number
  { svn: '3', minimum: 4, expect: 'below' },
  { svn: '99', minimum: 100, expect: 'below' },
  { svn: '1.2.3', minimum: '1.2.0', expect: 'ok' },
  { svn: '1.10.0', minimum: '1.9.0', expect: 'ok' },
  { svn: '1.0.0-rc.1', minimum: '1.0.0', expect: 'below' }, // pre-release ranks lower
  { svn: '1.0.0', minimum: '1', expect: 'type' },
  { svn: '2', minimum: '1.0.0', expect: 'type' },
  { svn: 2, minimum: '1.0.0', expect: 'type' },
  { svn: 'abc', minimum: '1', expect: 'below' }, // neither a number nor semver: never ok
  { svn: '1', minimum: 'abc', expect: 'below' },
];

for (const c of CASES) {
  const svn = JSON.stringify(c.svn);
  const minimum = JSON.stringify(c.minimum);
  test(`policy/fragment-svn: svn ${svn} against minimum ${minimum} is ${c.expect}`, () => {
    assert.is(svnTypesDiffer(c.svn, c.minimum), c.expect === 'type', 'svn_mismatch');
    assert.is(svnAtLeast(c.svn, c.minimum), c.expect === 'ok', 'svn_ok');
    const d = loadModule(c.minimum, c.svn);
    if (c.expect === 'ok') {
      assert.ok(d.allowed, d.reasons.join(' | '));
      return;
    }
    assert.is(d.allowed, false);
    const [reason, other] = c.expect === 'below'
      ? [SVN_REASON.below, SVN_REASON.typeMismatch]
      : [SVN_REASON.typeMismatch, SVN_REASON.below];
    assert.ok(d.reasons.includes(reason), d.reasons.join(' | '));
    assert.not.ok(d.reasons.includes(other), d.reasons.join(' | '));
  });
}

test('policy/fragment-svn: the reason texts are framework.rego\'s', () => {
  assert.is(SVN_REASON.below, 'fragment svn is below the specified minimum');
  assert.is(SVN_REASON.typeMismatch, 'fragment svn and the specified minimum are different types');
});

test('policy/fragment-svn: a header svn that differs from the fragment svn is refused', () => {
  assert.not.ok(svnEqual('5', '4'));
  const d = loadModule('1', '4', '5');
  assert.is(d.allowed, false);
  assert.ok(d.reasons.includes(SVN_REASON.headerMismatch), d.reasons.join(' | '));
  assert.ok(svnEqual(5, '5'), 'same number, two spellings');
  assert.ok(loadModule('1', '5', 5).allowed, 'same number, two spellings');
});

test('policy/fragment-svn: a fragment that declares no svn is refused', () => {
  const d = loadModule('1', undefined, '5');
  assert.is(d.allowed, false);
  assert.ok(d.reasons.includes(SVN_REASON.missing), d.reasons.join(' | '));
});

test('policy/fragment-svn: phase 1 checks only a header svn, and waits when there is none', () => {
  assert.ok(loadFragment('4', { fragment_loaded: false }).allowed);
  const low = loadFragment('4', { fragment_loaded: false, header_svn: '3' });
  assert.is(low.allowed, false);
  assert.ok(low.reasons.includes(SVN_REASON.below), low.reasons.join(' | '));
  const mixed = loadFragment('4', { fragment_loaded: false, header_svn: '1.0.0' });
  assert.ok(mixed.reasons.includes(SVN_REASON.typeMismatch), mixed.reasons.join(' | '));
  assert.is(mixed.allowed, false);
});

test('policy/fragment-svn: semver precedence follows SemVer 2.0.0 section 11 example order', () => {
  const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2',
    '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
  for (let i = 0; i + 1 < ordered.length; i++) {
    assert.is(compareSemver(ordered[i]!, ordered[i + 1]!), -1, ordered[i]);
  }
  assert.is(compareSemver('1.0.0+build.5', '1.0.0'), 0, 'build metadata is ignored');
});

test('policy/did-x509: the ACI infrastructure issuer of every confcom policy parses', () => {
  const did = parseDidX509('did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::eku:1.3.'
    + '6.1.4.1.311.76.59.1.3');
  assert.is(did.fingerprint, 'I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s');
  assert.equal(did.predicates, [{ name: 'eku', oid: '1.3.6.1.4.1.311.76.59.1.3' }]);
});

test('policy/did-x509: the spec example with a percent-encoded subject parses and formats back',
    () => {
  const text = 'did:x509:0:sha256:WE4P5dd8DnLHSkyHaIjhp4udlkF9LqoKwCvu9gl38jk::subject:C:US:ST:Cali'
    + 'fornia:O:Example%20Organisation';
  const did = parseDidX509(text);
  assert.equal(did.predicates, [{ name: 'subject',
    fields: [['C', 'US'], ['ST', 'California'], ['O', 'Example Organisation']] }]);
  assert.is(formatDidX509(did), text);
});

const MALFORMED: readonly string[] = [
  'did:web:contoso.com',
  'did:x509:1:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::eku:1.2.3',
  'did:x509:0:md5:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::eku:1.2.3',
  'did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9::eku:1.2.3', // 42 chars
  'did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s',           // no predicate
  'did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::eku:one.two',
  'did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::subject:CN',
  'did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::subject:CN:a b',
  'did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::subject:CN:a:CN:b',
  'did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::foo:bar',
  'did:x509:0:sha256:I__iuL25oXEVFdTP_aBLx_eT1RPHbCQ_ECBQfYZpt9s::fulcio-issuer:accounts.google'
    + '.com',
];

test('policy/did-x509: malformed DIDs are bad issuers', () => {
  for (const text of MALFORMED) assert.is(errorCode(() => parseDidX509(text)),
    'POLICY_FRAGMENT_BAD_ISSUER', text);
});

test.run();

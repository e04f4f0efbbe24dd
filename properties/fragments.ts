/**
 * Goal: signed policy fragments for the property suites — one the generated policies accept, and
 * one for each way load_fragment refuses (other issuer, other feed, SVN below the minimum or of
 * another kind, no SVN, header and module SVN disagreeing, a reserved namespace, framework
 * version missing or ahead) — built once per process.
 * Method: two deterministic test issuers (models/policy/test-issuers.ts: `contoso`, named by the
 * policies, and `mallory`, named by none) sign small fragment modules whose container runs the
 * catalog's sidecar layer. Signing happens on first use (kernel memo), never per step.
 */
import { memo } from '../sim/kernel/memo.js';
import { signFragment } from '../models/policy/fragment-envelope.js';
import { createTestIssuer, type TestIssuer } from '../models/policy/test-issuers.js';
import { layerRoot } from './catalog.js';

export const FRAGMENT_FEED = 'contoso.azurecr.io/sidecar';
export const OTHER_FEED = 'contoso.azurecr.io/other';
/** The minimum SVN the generated policies require of FRAGMENT_FEED. */
export const FRAGMENT_MINIMUM_SVN = '2';

export type FragmentName = 'good' | 'good-v3' | 'other-issuer' | 'other-feed' | 'svn-below'
  | 'svn-semver' | 'no-svn' | 'header-mismatch' | 'reserved' | 'no-framework-version'
  | 'framework-ahead';

export const FRAGMENT_NAMES: readonly FragmentName[] = ['good', 'good-v3', 'other-issuer',
  'other-feed', 'svn-below', 'svn-semver', 'no-svn', 'header-mismatch', 'reserved',
  'no-framework-version', 'framework-ahead'];

function issuers(): Readonly<{ contoso: TestIssuer; mallory: TestIssuer }> {
  return memo('properties/fragment-issuers', 'v1', () => ({
    contoso: createTestIssuer({ seed: 'properties-contoso' }),
    mallory: createTestIssuer({ seed: 'properties-mallory' }),
  }), 4);
}

/** The DID of the issuer the generated policies name. */
export function fragmentIssuerDid(): string {
  return issuers().contoso.did;
}

/** The sidecar container a fragment adds (framework 0.5.0 container shape). */
export function sidecarContainerJson(): string {
  return JSON.stringify([{ name: 'sidecar', command: ['/sidecar'], env_rules: [
    { pattern: 'PATH=/usr/bin', strategy: 'string', required: false }],
  layers: [layerRoot('sidecar')], mounts: [], exec_processes: [], signals: [15],
  user: { user_idname: { pattern: '', strategy: 'any' },
    group_idnames: [{ pattern: '', strategy: 'any' }], umask: '0022' },
  capabilities: null, seccomp_profile_sha256: '', allow_elevated: false, working_dir: '/',
  allow_stdio_access: false, no_new_privileges: false }]);
}

type FragmentSpec = Readonly<{ namespace: string; svn: string | null; headerSvn?: number | string;
  framework: string | null; signer: 'contoso' | 'mallory'; feed: string }>;

const SPECS: Readonly<Record<FragmentName, FragmentSpec>> = {
  'good': { namespace: 'sidecar', svn: '"2"', headerSvn: 2, framework: '0.5.0',
    signer: 'contoso', feed: FRAGMENT_FEED },
  'good-v3': { namespace: 'sidecar3', svn: '"3"', framework: '0.5.0', signer: 'contoso',
    feed: FRAGMENT_FEED },
  'other-issuer': { namespace: 'sidecar', svn: '"2"', headerSvn: 2, framework: '0.5.0',
    signer: 'mallory', feed: FRAGMENT_FEED },
  'other-feed': { namespace: 'sidecar', svn: '"2"', framework: '0.5.0', signer: 'contoso',
    feed: OTHER_FEED },
  'svn-below': { namespace: 'old', svn: '"1"', framework: '0.5.0', signer: 'contoso',
    feed: FRAGMENT_FEED },
  'svn-semver': { namespace: 'semver', svn: '"1.0.0"', framework: '0.5.0', signer: 'contoso',
    feed: FRAGMENT_FEED },
  'no-svn': { namespace: 'nosvn', svn: null, framework: '0.5.0', signer: 'contoso',
    feed: FRAGMENT_FEED },
  'header-mismatch': { namespace: 'mismatch', svn: '"2"', headerSvn: 5, framework: '0.5.0',
    signer: 'contoso', feed: FRAGMENT_FEED },
  'reserved': { namespace: 'framework', svn: '"2"', framework: '0.5.0', signer: 'contoso',
    feed: FRAGMENT_FEED },
  'no-framework-version': { namespace: 'nofw', svn: '"2"', framework: null, signer: 'contoso',
    feed: FRAGMENT_FEED },
  'framework-ahead': { namespace: 'ahead', svn: '"2"', framework: '9.0.0', signer: 'contoso',
    feed: FRAGMENT_FEED },
};

function fragmentText(spec: FragmentSpec): string {
  return [`package ${spec.namespace}`, '',
    ...(spec.svn === null ? [] : [`svn := ${spec.svn}`]),
    ...(spec.framework === null ? [] : [`framework_version := "${spec.framework}"`]), '',
    `containers := ${sidecarContainerJson()}`, ''].join('\n');
}

/** The base64 COSE_Sign1 envelope of a named fragment (SecurityPolicyFragment.Fragment). */
export function signedFragment(name: FragmentName): string {
  return memo('properties/signed-fragment', name, () => {
    const spec = SPECS[name];
    const signer = issuers()[spec.signer];
    const bytes = signFragment({ regoText: fragmentText(spec), feed: spec.feed, issuer: signer,
      ...(spec.headerSvn === undefined ? {} : { svn: spec.headerSvn }) });
    return Buffer.from(bytes).toString('base64');
  }, 64);
}

/**
 * Models: framework.rego load_fragment, both calls, and its error helpers; the Go-side header SVN
 * check. Spec (c) "load_fragment". The envelope (COSE_Sign1, x5chain, did:x509) is verified before
 * this rule runs, by models/policy fragment code; this rule sees its summary.
 * Real counterpart: load_fragment with input {issuer, feed, namespace, fragment_loaded}.
 * Differs: loading a fragment namespace twice under the same issuer and feed is denied (the Rego
 *   would append it again); reserved namespaces are refused here too (defence in depth). The
 *   framework's reason list is the framework's strings among these checks; the Go-side header
 *   checks and parma-sim's own refusals appear only in the engine's reasons. Both dialects use
 *   HEAD's two-call protocol (v0.14.1 had one call).
 * Invariants: call 1 writes nothing; call 2 writes only issuers[issuer] (update), prepending the
 *   fragment's selected includes; a fragment is accepted only under an issuer, feed and SVN the
 *   measured policy (or an already loaded fragment) names.
 */
import { assert } from '../../../sim/kernel/assert.js';
import { InputReader } from '../input-shapes.js';
import { lookup, type IssuerEntry, type LoadedFragment } from '../metadata.js';
import type { FragmentReference } from '../policy-model.js';
import { compareSemver } from '../match/semver.js';
import { SVN_REASON, svnAtLeast, svnEqual, svnTypesDiffer } from '../fragment-svn.js';
import { parseFragmentDocument, type FragmentDocument } from './fragment-document.js';
import { candidateFragments } from './candidates.js';
import {
  allow, defineRule, deny, type RuleContext, type RuleOutcome
} from './rule-context.js';

export const RESERVED_NAMESPACES: readonly string[] = Object.freeze(['framework', 'api', 'policy',
  'metadata']);

function svnReason(svn: string | number, candidates: readonly FragmentReference[]): string
    | undefined {
  if (candidates.some((c) => svnAtLeast(svn, c.minimum_svn))) return undefined;
  return candidates.some((c) => svnTypesDiffer(svn, c.minimum_svn))
    ? SVN_REASON.typeMismatch : SVN_REASON.below;
}

type FragmentRequest = Readonly<{
  issuer: string; feed: string; namespace: string; headerSvn: string | number | undefined;
  fragment: FragmentDocument | undefined;
}>;

/** The framework.rego load_fragment error strings (the others are Go-side or parma-sim's). */
function isFrameworkError(reason: string): boolean {
  return reason === 'invalid fragment issuer' || reason === 'invalid fragment feed'
    || reason === SVN_REASON.below || reason === SVN_REASON.typeMismatch
    || reason.startsWith('fragment framework_version is missing')
    || reason.startsWith('fragment framework_version is ahead');
}

export const loadFragment = defineRule<FragmentRequest>({
  parse: (input) => {
    const r = new InputReader('load_fragment', input);
    const issuer = r.str('issuer');
    const feed = r.str('feed');
    const namespace = r.str('namespace');
    const loaded = r.optBool('fragment_loaded') === true;
    const headerSvn = r.strOrNum('header_svn');
    // An absent fragment is refused by the document reader as not an object.
    const fragment = loaded ? parseFragmentDocument('fragment', r.value('fragment')) : undefined;
    return { issuer, feed, namespace, headerSvn, fragment };
  },
  decide: (ctx, req) => fragmentDecision(ctx, req),
  errors: (ctx, req) => {
    const decision = fragmentDecision(ctx, req);
    return decision.allowed ? [] : decision.notes.filter(isFrameworkError);
  },
});

function fragmentDecision(ctx: RuleContext, req: FragmentRequest): RuleOutcome {
  const { issuer, feed, namespace, headerSvn, fragment } = req;
  const all = candidateFragments(ctx);
  const byIssuer = all.filter((c) => c.issuer === issuer);
  const matching = byIssuer.filter((c) => c.feed === feed);
  const reasons: string[] = [];
  if (RESERVED_NAMESPACES.includes(namespace)) {
    reasons.push(`fragment namespace ${namespace} is reserved`);
  }
  if (byIssuer.length === 0) reasons.push('invalid fragment issuer');
  else if (matching.length === 0) reasons.push('invalid fragment feed');
  if (matching.length > 0 && headerSvn !== undefined) {
    const reason = svnReason(headerSvn, matching);
    if (reason !== undefined) reasons.push(reason);
  }
  if (fragment === undefined) return reasons.length > 0 ? deny(reasons) : allow([]);
  return loadFragmentModule(ctx, { issuer, feed, namespace, headerSvn, fragment, matching,
    reasons });
}

type Phase2 = Readonly<{
  issuer: string; feed: string; namespace: string; headerSvn: string | number | undefined;
  fragment: FragmentDocument; matching: readonly FragmentReference[]; reasons: string[];
}>;

function loadFragmentModule(ctx: RuleContext, p: Phase2): RuleOutcome {
  const { fragment, reasons } = p;
  const oldIssuer = lookup(ctx.metadata.issuers, p.issuer);
  const oldFeed = oldIssuer === undefined ? undefined : lookup(oldIssuer.feeds, p.feed);
  if (oldFeed?.some((f) => f.namespace === p.namespace)) {
    reasons.push(`fragment ${p.namespace} is already loaded for this issuer and feed`);
  }
  const fw = fragment.framework_version;
  const current = ctx.dialect.frameworkVersion;
  if (fw === null) {
    reasons.push(`fragment framework_version is missing. Current version: ${current}`);
  } else if (compareSemver(fw, current) === undefined) {
    reasons.push(`fragment framework_version ${JSON.stringify(fw)} is not a semantic version`);
  } else if (compareSemver(fw, current) === 1) {
    reasons.push(`fragment framework_version is ahead of the current version: ${fw} is greater `
      + `than ${current}`);
  }
  const svn = fragment.svn;
  if (svn === null) reasons.push(SVN_REASON.missing);
  else {
    if (p.headerSvn !== undefined && !svnEqual(p.headerSvn, svn)) {
      reasons.push(SVN_REASON.headerMismatch);
    }
    const reason = p.matching.length > 0 ? svnReason(svn, p.matching) : undefined;
    if (reason !== undefined && !reasons.includes(reason)) reasons.push(reason);
  }
  if (reasons.length > 0) return deny(reasons);
  assert(svn !== null);
  const chosen = p.matching.find((c) => svnAtLeast(svn, c.minimum_svn));
  assert(chosen !== undefined, 'an svn that passed has a candidate');
  const extracted = extractIncludes(p.namespace, svn, fragment, chosen.includes);
  // fromEntries defines each key as data (a feed named __proto__ is a plain key); a feed loaded
  // before keeps its place, with the new fragment first.
  const feeds = Object.fromEntries([...Object.entries(oldIssuer?.feeds ?? {}),
    [p.feed, [extracted, ...(oldFeed ?? [])]]]);
  const entry: IssuerEntry = { feeds };
  return allow([{ name: 'issuers', action: 'update', key: p.issuer, value: entry }],
    { add_module: chosen.includes.includes('namespace') });
}

function extractIncludes(namespace: string, svn: string | number, fragment: FragmentDocument,
    includes: readonly string[]): LoadedFragment {
  return {
    namespace, svn,
    ...(includes.includes('containers') ? { containers: fragment.containers } : {}),
    ...(includes.includes('fragments') ? { fragments: fragment.fragments } : {}),
    ...(includes.includes('external_processes')
      ? { external_processes: fragment.external_processes } : {}),
  };
}

/**
 * Models: the checks the GCS makes on a signed policy fragment before any Rego runs
 * (hcsshim securitypolicy.ExtractAndVerifyFragment + regoEnforcer.parseNamespace, 2025 hardening
 * commit 5869bd017): base64 → COSE_Sign1 → signature by the x5chain leaf → issuer and feed
 * present
 * → issuer did:x509 resolves against the chain → the payload's first line is exactly
 * `package <identifier>` and the namespace is not reserved. See shared/spec/policy.md (c) and (e).
 * Real counterpart: GCS InjectFragment (LCOWSecurityPolicyFragment) before LoadFragment.
 * Differs: the issuer may also come from CWT claim iss and the feed from CWT claim sub (RFC 9597;
 * the real envelopes seen use the string labels `iss` / `feed`); if both forms are present they
 * must agree. The header SVN is the CWT private claim `svn`. Certificate validity is not checked
 * unless a time is given. Which issuer/feed/SVN the policy accepts is the engine's load_fragment.
 * A later line starting with `package` is refused outright (OPA would fail to compile the module;
 * a raw string holding such a line is refused too: fail closed).
 * Invariants: every failure is a SimError with its own code; a verified fragment's issuer DID
 * resolved against its own chain, and its namespace is a Rego identifier outside RESERVED.
 */
import { isUtf8 } from 'node:buffer';
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import {
  COSE_HEADER, CWT_CLAIM, coseAlgorithmById, decodeCoseSign1, readCwtClaims, signCoseSign1,
  verifyCoseSign1Signature, x5chainCertificates, type CoseAlgorithmName, type HeaderLabel,
} from './cose-sign1.js';
import { resolveDidX509 } from './did-x509.js';
import type { Svn } from './fragment-svn.js';
import { signWithTestIssuer, type TestIssuer } from './test-issuers.js';

/** Namespaces a fragment may not take (hcsshim reservedNamespaces). */
export const RESERVED_NAMESPACES: readonly string[] = Object.freeze(['framework', 'api', 'policy',
  'metadata']);

/**
 * The only accepted first line: `package`, one or more spaces, a Rego identifier, optional
 * whitespace.
 */
export const FRAGMENT_FIRST_LINE = /^package +([A-Za-z_][A-Za-z0-9_]*)[ \t\r\f]*$/;

export const FRAGMENT_CONTENT_TYPE = 'application/unknown+rego';

/** What the GCS knows about a signed statement once its envelope checks pass. */
export type SignedStatement = Readonly<{
  issuer: string;
  feed: string;
  /** The header SVN (CWT claim `svn`), if the envelope carries one. */
  svn?: Svn;
  contentType?: string | number;
  algorithm: CoseAlgorithmName;
  payload: Uint8Array;
  /** x5chain DER certificates, leaf first. */
  chain: readonly Uint8Array[];
  /** Chain index of the CA certificate the issuer DID pins. */
  caIndex: number;
}>;

export type VerifiedFragment = SignedStatement & Readonly<{ payloadText: string;
  namespace: string }>;

export type VerifyEnvelopeOptions = Readonly<{
  /** When given, the issuer must be exactly this DID (POLICY_FRAGMENT_BAD_ISSUER otherwise). */
  expectedIssuer?: string;
  /** When given, the feed must be exactly this (POLICY_FRAGMENT_BAD_FEED otherwise). */
  expectedFeed?: string;
  /** When given, every certificate must be valid at this instant. */
  at?: Date;
}>;

function bad(reason: string, detail: Record<string, unknown> = {}): SimError {
  return new SimError('POLICY_BAD_FRAGMENT', { reason, ...detail }, `fragment: ${reason}`);
}

/** Strict standard base64 (the bridge's encoding); surrounding whitespace is ignored. */
export function decodeFragmentBase64(text: string): Uint8Array {
  const clean = text.trim();
  // The grammar needs at least one character, so an empty text fails it too.
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) {
    throw bad('not standard base64');
  }
  const bytes = new Uint8Array(Buffer.from(clean, 'base64'));
  assert(bytes.length === (clean.length / 4) * 3 - (clean.endsWith('==') ? 2 : clean.endsWith('=')
    ? 1 : 0));
  return bytes;
}

function optionalText(header: ReadonlyMap<HeaderLabel, unknown>, label: HeaderLabel): string
    | undefined {
  const value = header.get(label);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw bad(`protected header ${String(label)} is not a text string`);
  }
  return value;
}

/** One of two header forms; both present must agree; empty counts as absent. */
function agreeing(what: 'issuer' | 'feed', primary: string | undefined, cwt: string
    | undefined): string | undefined {
  if (primary !== undefined && cwt !== undefined && primary !== cwt) {
    const code = what === 'issuer' ? 'POLICY_FRAGMENT_BAD_ISSUER' : 'POLICY_FRAGMENT_BAD_FEED';
    throw new SimError(code, { reason: `${what} header and CWT claim differ`, header: primary,
      cwt },
      `fragment: the ${what} header and its CWT claim differ`);
  }
  const value = primary ?? cwt;
  return value === undefined || value.length === 0 ? undefined : value;
}

/**
 * Verifies a COSE_Sign1 signed statement as the GCS does for fragments, without looking at the
 * payload: signature by the x5chain leaf, issuer and feed present, issuer DID resolves.
 */
export function verifySignedStatement(input: Uint8Array | string,
    options: VerifyEnvelopeOptions = {}): SignedStatement {
  const bytes = typeof input === 'string' ? decodeFragmentBase64(input) : input;
  const message = decodeCoseSign1(bytes);
  const header = message.protectedHeader;
  const algorithm = coseAlgorithmById(header.get(COSE_HEADER.alg));
  if (!header.has(COSE_HEADER.x5chain)) throw bad('x5chain missing from the protected header');
  const chain = x5chainCertificates(header.get(COSE_HEADER.x5chain));
  verifyCoseSign1Signature(message, algorithm, chain[0]!);
  const cwt = readCwtClaims(header.get(COSE_HEADER.cwt_claims));
  const issuer = agreeing('issuer', optionalText(header, COSE_HEADER.iss), cwt?.iss);
  const feed = agreeing('feed', optionalText(header, COSE_HEADER.feed), cwt?.sub);
  if (issuer === undefined) {
    throw new SimError('POLICY_FRAGMENT_MISSING_ISSUER', {},
      'fragment: no issuer in the protected header');
  }
  if (feed === undefined) {
    throw new SimError('POLICY_FRAGMENT_MISSING_FEED', { issuer },
      'fragment: no feed in the protected header');
  }
  const resolution = resolveDidX509(issuer, chain, options.at);
  if (options.expectedIssuer !== undefined && issuer !== options.expectedIssuer) {
    throw new SimError('POLICY_FRAGMENT_BAD_ISSUER', { issuer, expected: options.expectedIssuer },
      'fragment: invalid fragment issuer');
  }
  if (options.expectedFeed !== undefined && feed !== options.expectedFeed) {
    throw new SimError('POLICY_FRAGMENT_BAD_FEED', { feed, expected: options.expectedFeed },
      'fragment: invalid fragment feed');
  }
  const contentType: unknown = header.get(COSE_HEADER.content_type);
  if (contentType !== undefined && typeof contentType !== 'string'
      && typeof contentType !== 'number') {
    throw bad('content type is neither a text string nor an integer');
  }
  const statement: SignedStatement = {
    issuer, feed, algorithm: algorithm.name, payload: message.payload, chain,
      caIndex: resolution.caIndex,
    ...(cwt?.svn === undefined ? {} : { svn: cwt.svn }),
    ...(contentType === undefined ? {} : { contentType }),
  };
  assert(statement.chain.length >= 2, 'a resolved did:x509 chain has a CA');
  assert(statement.caIndex >= 1);
  return statement;
}

/**
 * The namespace of a fragment: the first line must be exactly `package <identifier>` (no comment,
 * no leading space, no second statement) and the identifier must not be reserved.
 */
export function parseFragmentNamespace(regoText: string): string {
  const newline = regoText.indexOf('\n');
  const firstLine = newline < 0 ? regoText : regoText.slice(0, newline);
  if (firstLine.length === 0) {
    throw new SimError('POLICY_FRAGMENT_BAD_PACKAGE', { firstLine },
      'fragment: Rego is empty or starts with a blank line');
  }
  const match = FRAGMENT_FIRST_LINE.exec(firstLine);
  if (match === null) {
    throw new SimError('POLICY_FRAGMENT_BAD_PACKAGE', { firstLine: firstLine.slice(0, 200) },
      `fragment: valid package definition required on first line, got `
        + `${JSON.stringify(firstLine.slice(0, 200))}`);
  }
  const namespace = match[1]!;
  const laterPackage = regoText.split('\n').findIndex((line, i) => i > 0
    && /^[ \t\r\f]*package([ \t\r\f]|$)/.test(line));
  if (laterPackage !== -1) {
    // OPA rejects a second package statement; the GCS would fail to compile. Refuse it here.
    throw new SimError('POLICY_FRAGMENT_BAD_PACKAGE', { line: laterPackage + 1 },
      `fragment: a second package statement on line ${laterPackage + 1}`);
  }
  if (RESERVED_NAMESPACES.includes(namespace)) {
    throw new SimError('POLICY_FRAGMENT_RESERVED_NAMESPACE', { namespace },
      `fragment: namespace "${namespace}" is reserved and cannot be used for fragments`);
  }
  assert(/^[A-Za-z_][A-Za-z0-9_]*$/.test(namespace), 'namespace is a Rego identifier');
  assert(!RESERVED_NAMESPACES.includes(namespace));
  return namespace;
}

/** Decodes bytes isUtf8 (node:buffer) accepted; a leading BOM is kept, not stripped. */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Every check the GCS makes on a fragment before Rego: envelope, issuer DID, first line. */
export function verifyFragmentEnvelope(input: Uint8Array | string,
    options: VerifyEnvelopeOptions = {}): VerifiedFragment {
  const statement = verifySignedStatement(input, options);
  if (!isUtf8(statement.payload)) throw bad('payload is not UTF-8');
  const payloadText = UTF8.decode(statement.payload);
  const namespace = parseFragmentNamespace(payloadText);
  assert(payloadText.startsWith('package '), 'a verified fragment starts with its package line');
  return { ...statement, payloadText, namespace };
}

export type SignFragmentOptions = Readonly<{
  regoText: string;
  feed: string;
  issuer: TestIssuer;
  /** Header SVN (CWT claim `svn`); omitted when undefined. */
  svn?: Svn;
  /** The issuer DID written into the header; default the issuer's EKU DID. */
  issuerDid?: string;
  contentType?: string;
}>;

/**
 * Makes a signed fragment envelope the way Microsoft's signing service does: protected header
 * {alg, content type, x5chain, iss, feed[, CWT {svn}]}, payload = the Rego text. The text is
 * not checked here, so tests can sign hostile fragments.
 */
export function signFragment(options: SignFragmentOptions): Uint8Array {
  const header = new Map<HeaderLabel, unknown>([
    [COSE_HEADER.alg, options.issuer.algorithm.id],
    [COSE_HEADER.content_type, options.contentType ?? FRAGMENT_CONTENT_TYPE],
    [COSE_HEADER.x5chain, [...options.issuer.chain]],
    [COSE_HEADER.iss, options.issuerDid ?? options.issuer.did],
    [COSE_HEADER.feed, options.feed],
  ]);
  if (options.svn !== undefined) {
    header.set(COSE_HEADER.cwt_claims, new Map([[CWT_CLAIM.svn, options.svn]]));
  }
  const payload = new TextEncoder().encode(options.regoText);
  const bytes = signCoseSign1({ protectedHeader: header, payload, sign: (tbs) =>
    signWithTestIssuer(options.issuer, tbs) });
  assert(bytes.length > payload.length, 'envelope wraps the payload');
  assert(decodeCoseSign1(bytes).protectedHeader.get(COSE_HEADER.feed) === options.feed);
  return bytes;
}

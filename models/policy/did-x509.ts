/**
 * Models: the did:x509 DID method, version 0 (microsoft/did-x509 specification.md; IETF
 * draft-birkholz-did-x509): `did:x509:0:<sha256|sha384|sha512>:<base64url CA fingerprint>` followed
 * by one or more `::<predicate>:<value>` predicates (eku, subject, san), resolved against an X.509
 * chain ordered leaf first.
 * Real counterpart: hcsshim internal/didx509resolver (Resolve, called by the GCS with the
 * fragment's
 * x5chain) and the Go did-x509-go library.
 * Differs: no DID document is produced (only the verdict and the matched CA); certificate validity
 * dates are ignored unless a time is given (the GCS also ignores them); `fulcio-issuer` is
 * rejected as unsupported; the chain's last certificate is the trust anchor, self-signed or not.
 * Invariants: the fingerprint may match only a non-leaf certificate; every certificate is signed
 * by the next one and each signer is a CA; every predicate must hold on the leaf.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints, Certificate, ExtendedKeyUsage, SubjectAlternativeName,
  id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_subjectAltName,
} from '@peculiar/asn1-x509';
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';

export const DID_X509_PREFIX = 'did:x509:0:';

export type FingerprintAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** base64url length (no padding) of each digest: ceil(bytes * 4 / 3). */
const FINGERPRINT_CHARS: Readonly<Record<FingerprintAlgorithm,
  number>> = { sha256: 43, sha384: 64, sha512: 86 };

/** Subject name labels of the spec (RFC 4514 short names) and their attribute OIDs. */
export const SUBJECT_LABEL_OIDS: Readonly<Record<string, string>> = Object.freeze({
  CN: '2.5.4.3', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6',
    STREET: '2.5.4.9',
});

export type DidX509Predicate =
  | Readonly<{ name: 'eku'; oid: string }>
  | Readonly<{ name: 'subject'; fields: readonly (readonly [key: string, value: string])[] }>
  | Readonly<{ name: 'san'; sanType: 'email' | 'dns' | 'uri'; value: string }>;

export type DidX509 = Readonly<{
  fingerprintAlgorithm: FingerprintAlgorithm;
  fingerprint: string;
  predicates: readonly DidX509Predicate[];
}>;

const OID = /^[0-9]+(\.[0-9]+)*$/;
const IDCHARS = /^([A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function badDid(reason: string, did: string): SimError {
  return new SimError('POLICY_FRAGMENT_BAD_ISSUER', { reason, issuer: did.slice(0, 300) },
    `did:x509: ${reason}`);
}

function percentDecode(value: string, did: string): string {
  if (!IDCHARS.test(value)) {
    throw badDid('predicate value has characters that must be percent-encoded', did);
  }
  try {
    return decodeURIComponent(value);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression: decodeURIComponent throws only URIError
    if (!(error instanceof URIError)) throw error;
    throw badDid('predicate value has bad percent-encoding', did);
  }
}

function parsePredicate(text: string, did: string): DidX509Predicate {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    throw badDid('predicate must be <name>:<value>', did);
  }
  const name = text.slice(0, colon);
  const value = text.slice(colon + 1);
  if (name === 'eku') {
    if (!OID.test(value)) throw badDid('eku value is not a dotted OID', did);
    return { name, oid: value };
  }
  if (name === 'subject') {
    const items = value.split(':');
    if (items.length % 2 !== 0) throw badDid('subject predicate needs key:value pairs', did);
    const fields: (readonly [string, string])[] = [];
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i]!;
      if (SUBJECT_LABEL_OIDS[key] === undefined && !OID.test(key)) {
        throw badDid(`unknown subject key ${key}`, did);
      }
      if (fields.some(([k]) => k === key)) throw badDid(`subject key ${key} repeated`, did);
      fields.push([key, percentDecode(items[i + 1]!, did)]);
    }
    assert(fields.length * 2 === items.length);
    return { name, fields };
  }
  if (name === 'san') {
    const items = value.split(':');
    const sanType = items[0];
    if (items.length !== 2 || (sanType !== 'email' && sanType !== 'dns' && sanType !== 'uri')) {
      throw badDid('san predicate must be san:<email|dns|uri>:<value>', did);
    }
    return { name, sanType, value: percentDecode(items[1]!, did) };
  }
  if (name === 'fulcio-issuer') throw badDid('fulcio-issuer predicates are not supported', did);
  throw badDid(`unknown predicate ${name}`, did);
}

/** Parses a did:x509 string. Malformed input gets POLICY_FRAGMENT_BAD_ISSUER. */
export function parseDidX509(did: string): DidX509 {
  if (!did.startsWith(DID_X509_PREFIX)) throw badDid('issuer is not a did:x509:0 DID', did);
  const parts = did.slice(DID_X509_PREFIX.length).split('::');
  const head = parts[0]!.split(':');
  if (head.length !== 2) {
    throw badDid('expected <fingerprint-alg>:<fingerprint> after the version', did);
  }
  const [algorithm, fingerprint] = head as [string, string];
  if (algorithm !== 'sha256' && algorithm !== 'sha384' && algorithm !== 'sha512') {
    throw badDid(`unsupported fingerprint algorithm ${algorithm}`, did);
  }
  if (!BASE64URL.test(fingerprint) || fingerprint.length !== FINGERPRINT_CHARS[algorithm]) {
    throw badDid(`fingerprint is not a base64url ${algorithm} digest`, did);
  }
  if (parts.length < 2) throw badDid('a did:x509 needs at least one predicate', did);
  const predicates = parts.slice(1).map((text) => parsePredicate(text, did));
  assert(predicates.length === parts.length - 1);
  assert(predicates.length >= 1);
  return { fingerprintAlgorithm: algorithm, fingerprint, predicates };
}

/** Formats a did:x509 (the inverse of parseDidX509). */
export function formatDidX509(did: DidX509): string {
  assert(did.predicates.length >= 1, 'a did:x509 needs a predicate');
  const encode = (v: string): string => encodeURIComponent(v).replace(/[!'()*~]/g, (c) =>
    `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const predicates = did.predicates.map((p) => {
    if (p.name === 'eku') return `eku:${p.oid}`;
    if (p.name === 'san') return `san:${p.sanType}:${encode(p.value)}`;
    return `subject:${p.fields.map(([k, v]) => `${k}:${encode(v)}`).join(':')}`;
  });
  const text = `${DID_X509_PREFIX}${did.fingerprintAlgorithm}:${did.fingerprint}`
    + `::${predicates.join('::')}`;
  assert(parseDidX509(text).predicates.length === did.predicates.length, 'format/parse round trip');
  return text;
}

/** base64url(hash(DER)): the did:x509 CA fingerprint of a certificate. */
export function certificateFingerprint(der: Uint8Array,
    algorithm: FingerprintAlgorithm = 'sha256'): string {
  const fingerprint = createHash(algorithm).update(der).digest('base64url');
  assert(fingerprint.length === FINGERPRINT_CHARS[algorithm]);
  return fingerprint;
}

/** What did:x509 matches on, read from a certificate with @peculiar/asn1-x509. */
export type CertificateFacts = Readonly<{
  der: Uint8Array;
  /** Subject attributes in order, keyed by OID. */
  subject: readonly (readonly [oid: string, value: string])[];
  ekus: readonly string[];
  sans: readonly (readonly [type: 'email' | 'dns' | 'uri', value: string])[];
  isCa: boolean;
}>;

function badChain(reason: string, detail: Record<string, unknown> = {}): SimError {
  return new SimError('POLICY_FRAGMENT_BAD_CHAIN', { reason, ...detail }, `x5chain: ${reason}`);
}

export function readCertificateFacts(der: Uint8Array, index = 0): CertificateFacts {
  let certificate: Certificate;
  try {
    certificate = AsnConvert.parse(der, Certificate);
  } catch (error) {
    throw badChain('certificate does not parse', { index, cause: error instanceof Error
      ? error.message : String(error) });
  }
  const tbs = certificate.tbsCertificate;
  const subject = tbs.subject.flatMap((rdn) => rdn.map((atv) =>
    [atv.type, atv.value.toString()] as const));
  const extension = (oid: string) => tbs.extensions?.find((e) =>
    e.extnID === oid)?.extnValue.buffer;
  const ekuDer = extension(id_ce_extKeyUsage);
  const sanDer = extension(id_ce_subjectAltName);
  const bcDer = extension(id_ce_basicConstraints);
  const ekus = ekuDer === undefined ? [] : [...AsnConvert.parse(ekuDer, ExtendedKeyUsage)];
  const sans: (readonly ['email' | 'dns' | 'uri', string])[] = [];
  for (const name of sanDer === undefined ? [] : AsnConvert.parse(sanDer, SubjectAlternativeName)) {
    if (name.rfc822Name !== undefined) sans.push(['email', name.rfc822Name]);
    if (name.dNSName !== undefined) sans.push(['dns', name.dNSName]);
    if (name.uniformResourceIdentifier !== undefined) {
      sans.push(['uri', name.uniformResourceIdentifier]);
    }
  }
  const isCa = bcDer === undefined ? false : AsnConvert.parse(bcDer, BasicConstraints).cA;
  assert(subject.every(([oid]) => OID.test(oid)), 'attribute types are OIDs');
  assert(ekus.every((oid) => OID.test(oid)), 'EKUs are OIDs');
  return { der, subject, ekus, sans, isCa };
}

function x509(der: Uint8Array, index: number): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw badChain('certificate does not parse', { index, cause: error instanceof Error
      ? error.message : String(error) });
  }
}

/**
 * Checks that each certificate of `chain` (leaf first) is issued and signed by the next one, and
 * that every issuer is a CA; with `at`, also that every certificate is valid at that instant.
 */
export function validateCertificateChain(chain: readonly Uint8Array[],
    at?: Date): readonly CertificateFacts[] {
  if (chain.length < 2) {
    throw badChain('a did:x509 chain needs a leaf and at least one CA', { length: chain.length });
  }
  if (chain.length > 16) {
    throw badChain('chain longer than 16 certificates', { length: chain.length });
  }
  const parsed = chain.map((der, i) => x509(der, i));
  const facts = chain.map((der, i) => readCertificateFacts(der, i));
  for (let i = 0; i + 1 < parsed.length; i++) {
    const subject = parsed[i]!;
    const issuer = parsed[i + 1]!;
    if (!facts[i + 1]!.isCa) throw badChain('issuer certificate is not a CA', { index: i + 1 });
    if (!subject.checkIssued(issuer)) {
      throw badChain('certificate not issued by the next one', { index: i });
    }
    if (!subject.verify(issuer.publicKey)) {
      throw badChain('certificate signature does not verify', { index: i });
    }
  }
  const anchor = parsed[parsed.length - 1]!;
  if (anchor.checkIssued(anchor) && !anchor.verify(anchor.publicKey)) {
    throw badChain('self-issued anchor has a bad self-signature', { index: parsed.length - 1 });
  }
  if (at !== undefined) {
    parsed.forEach((cert, index) => {
      if (at < new Date(cert.validFrom) || at > new Date(cert.validTo)) {
        throw badChain('certificate not valid at the given time', { index });
      }
    });
  }
  assert(facts.length === chain.length);
  assert(facts.slice(1).every((f) => f.isCa), 'every issuer checked as a CA');
  return facts;
}

function mismatch(reason: string, did: string): SimError {
  return new SimError('POLICY_FRAGMENT_DID_MISMATCH', { reason, issuer: did.slice(0, 300) },
    `issuer DID does not resolve against the x5chain: ${reason}`);
}

function predicateHolds(predicate: DidX509Predicate, leaf: CertificateFacts): string | undefined {
  if (predicate.name === 'eku') {
    return leaf.ekus.includes(predicate.oid) ? undefined : `leaf has no EKU ${predicate.oid}`;
  }
  if (predicate.name === 'san') {
    const found = leaf.sans.some(([t, v]) => t === predicate.sanType && v === predicate.value);
    return found ? undefined : `leaf has no ${predicate.sanType} SAN ${predicate.value}`;
  }
  for (const [key, value] of predicate.fields) {
    const oid = SUBJECT_LABEL_OIDS[key] ?? key;
    const values = leaf.subject.filter(([o]) => o === oid).map(([, v]) => v);
    if (values.length > 1) return `leaf subject repeats ${key}, which did:x509 does not support`;
    if (values[0] !== value) return `leaf subject ${key} is not ${JSON.stringify(value)}`;
  }
  return undefined;
}

export type DidX509Resolution = Readonly<{
  did: string;
  /** Index in the chain of the CA certificate whose fingerprint the DID pins. */
  caIndex: number;
  leaf: CertificateFacts;
}>;

/**
 * Resolves `did` against `chain` (DER certificates, leaf first): the chain must validate, the
 * fingerprint must match a non-leaf certificate, and every predicate must hold on the leaf.
 * Errors: POLICY_FRAGMENT_BAD_ISSUER (malformed DID), POLICY_FRAGMENT_BAD_CHAIN,
 * POLICY_FRAGMENT_DID_MISMATCH.
 */
export function resolveDidX509(did: string, chain: readonly Uint8Array[],
    at?: Date): DidX509Resolution {
  const parsed = parseDidX509(did);
  const facts = validateCertificateChain(chain, at);
  let caIndex = -1;
  for (let i = 1; i < chain.length; i++) {
    if (certificateFingerprint(chain[i]!, parsed.fingerprintAlgorithm) === parsed.fingerprint) {
      caIndex = i;
    }
  }
  if (caIndex === -1) {
    throw mismatch('no CA certificate in the chain has the pinned fingerprint', did);
  }
  const leaf = facts[0]!;
  for (const predicate of parsed.predicates) {
    const failure = predicateHolds(predicate, leaf);
    if (failure !== undefined) throw mismatch(failure, did);
  }
  assert(caIndex >= 1, 'the pinned certificate is never the leaf');
  assert(caIndex < chain.length);
  return { did, caIndex, leaf };
}

/**
 * Models: a relying party's view of one X.509 certificate or CRL in the AMD SEV-SNP chain
 *   (RFC 5280; the AMD profile of spec snp.md e.2/e.3): decode, then check signature, names,
 *   validity and the RSASSA-PSS parameters. Bytes only: no chain or report policy here.
 * Real counterpart: go-sev-guest `verify/verify.go` certificate handling; openssl x509/crl.
 * Differs: only what the AMD profile needs (RSASSA-PSS SHA-384 and ECDSA P-384 SPKIs). Decoding
 *   uses the DER reader of models/snp/der.ts, not @peculiar/asn1-*: loading that stack costs more
 *   than node's whole start-up, and `snp verify` is a command people run in loops.
 * Invariants: undecodable bytes are SimError SNP_BAD_CERT (malformed input), never a crash; a
 *   certificate is exactly one DER element (no trailing bytes, shortest lengths); parsing, public
 *   keys and signature answers are memoised in the kernel memo by content (SHA-256 of the DER),
 *   never by object identity; parsed values are frozen and never changed by a caller.
 */
import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { bytesEqual } from '../../sim/kernel/bytes.js';
import { SimError, isInputRefusal } from '../../sim/kernel/errors.js';
import { memo } from '../../sim/kernel/memo.js';
import {
  ID_EC_PUBLIC_KEY, ID_SECP384R1, type CertificateExtension,
} from '../snp/amd-extensions.js';
import {
  contextTag, DER_TAG, derBitString, derBoolean, derChildren, derError, derExpect, derOid,
  derParse, derSequence, derString, derTime, derUnsigned, type DerElement,
} from '../snp/der.js';
import { fromPem } from '../snp/pem.js';

/** An AlgorithmIdentifier: its OID, its parameters element (if any) and its whole encoding. */
export type AlgorithmInfo = Readonly<{
  oid: string; parameters: DerElement | undefined; encoded: Uint8Array;
}>;

export type ParsedCertificate = Readonly<{
  der: Uint8Array;
  /** SHA-256 of `der`, hex: the content key of every memo entry about this certificate. */
  digest: string;
  /** The encoded TBSCertificate: what the issuer signed. */
  tbs: Uint8Array;
  /** X.509 version number as written (2 means v3). */
  version: number;
  serial: bigint;
  subjectDer: Uint8Array;
  issuerDer: Uint8Array;
  subjectCn: string | undefined;
  issuerCn: string | undefined;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Uint8Array;
  /** SubjectPublicKeyInfo algorithm OID, and its named curve for EC keys. */
  spkiAlgorithm: string;
  spkiCurve: string | undefined;
  /** The signature AlgorithmIdentifier inside the TBS and the outer one. */
  tbsSignatureAlgorithm: AlgorithmInfo;
  signatureAlgorithm: AlgorithmInfo;
  signature: Uint8Array;
  extensions: readonly CertificateExtension[];
  /** What the certificate is called in messages ('ark', 'ask', 'vcek', …). */
  what: string;
}>;

/** Bounds of the memo tables: a verifier sees a handful of chips and roots at a time. */
const MEMO_LIMIT = 512;

function bad(what: string, reason: string): SimError {
  return new SimError('SNP_BAD_CERT', { certificate: what, reason }, `${what}: ${reason}`);
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** DER or PEM (one CERTIFICATE block) → bytes. */
export function certificateBytes(input: Uint8Array, what: string): Uint8Array {
  const text = Buffer.from(input.subarray(0, 64)).toString('latin1');
  if (!text.includes('-----BEGIN')) return input;
  const blocks = fromPem(Buffer.from(input).toString('latin1'));
  if (blocks.length !== 1) throw bad(what, `expected one PEM certificate, found ${blocks.length}`);
  return blocks[0]!;
}

const ID_CN = '2.5.4.3';

/** The first CN of a Name (SEQUENCE OF SET OF AttributeTypeAndValue). */
function commonName(name: DerElement, what: string): string | undefined {
  for (const rdn of derSequence(name, `${what} name`)) {
    for (const attribute of derSequence(rdn, `${what} RDN`, DER_TAG.SET)) {
      const [type, value] = derSequence(attribute, `${what} attribute`);
      if (derOid(type, `${what} attribute type`) === ID_CN) return derString(value, `${what} CN`);
    }
  }
  return undefined;
}

function algorithmOf(element: DerElement | undefined, what: string): AlgorithmInfo {
  const [oid, parameters, extra] = derSequence(element, what);
  if (extra !== undefined) throw derError(what, 'AlgorithmIdentifier has more than two parts');
  return { oid: derOid(oid, what), parameters, encoded: element!.encoded };
}

function extensionsOf(element: DerElement | undefined, what: string): CertificateExtension[] {
  if (element === undefined) return [];
  const [list] = derChildren(derExpect(element, contextTag(3), what), what);
  return derSequence(list, `${what} extensions`).map((extension) => {
    const parts = derSequence(extension, `${what} extension`);
    if (parts.length < 2 || parts.length > 3) throw derError(what, 'malformed Extension');
    const critical = parts.length === 3 ? derBoolean(parts[1]!, `${what} critical`) : false;
    const value = derExpect(parts[parts.length - 1], DER_TAG.OCTET_STRING, `${what} extnValue`);
    return { extnID: derOid(parts[0], `${what} extnID`), critical, value: value.content };
  });
}

/**
 * Decodes a DER (or single-PEM) certificate; SNP_BAD_CERT when it is not one. Memoised by
 * content (SHA-256 of the DER).
 */
export function parseCertificate(input: Uint8Array, what: string): ParsedCertificate {
  const der = certificateBytes(input, what);
  if (der.length < 16 || der.length > 16_384) {
    throw bad(what, `implausible size ${der.length} bytes`);
  }
  const digest = sha256Hex(der);
  const parsed = memo('verifier.certificate', `${what}:${digest}`,
    () => decodeCertificate(der.slice(), digest, what), MEMO_LIMIT);
  assert(parsed.digest === digest, 'a memo hit is the same certificate');
  return parsed;
}

function decodeCertificate(der: Uint8Array, digest: string, what: string): ParsedCertificate {
  try {
    const [tbsElement, signatureAlgorithm, signature, extra] =
      derSequence(derParse(der, what), what);
    if (extra !== undefined) throw derError(what, 'Certificate has more than three parts');
    const tbs = derSequence(tbsElement, `${what} TBSCertificate`);
    const hasVersion = tbs[0]?.tag === contextTag(0);
    const version = hasVersion
      ? Number(derUnsigned(derChildren(tbs[0]!, what)[0], `${what} version`)) : 0;
    const [serial, tbsAlgorithm, issuer, validity, subject, spki, ...rest] =
      hasVersion ? tbs.slice(1) : tbs;
    const [notBefore, notAfter] = derSequence(validity, `${what} validity`);
    const [spkiAlgorithm] = derSequence(spki, `${what} SubjectPublicKeyInfo`);
    const key = algorithmOf(spkiAlgorithm, `${what} key algorithm`);
    const bits = derBitString(signature, `${what} signature`);
    if (bits.unusedBits !== 0) throw derError(what, 'signature BIT STRING has unused bits');
    const parsed: ParsedCertificate = Object.freeze({
      der, digest, tbs: tbsElement!.encoded, version,
      serial: derUnsigned(serial, `${what} serial`),
      subjectDer: derExpect(subject, DER_TAG.SEQUENCE, `${what} subject`).encoded,
      issuerDer: derExpect(issuer, DER_TAG.SEQUENCE, `${what} issuer`).encoded,
      subjectCn: commonName(subject!, `${what} subject`),
      issuerCn: commonName(issuer!, `${what} issuer`),
      notBefore: derTime(notBefore, `${what} notBefore`),
      notAfter: derTime(notAfter, `${what} notAfter`),
      spkiDer: spki!.encoded, spkiAlgorithm: key.oid,
      spkiCurve: key.parameters?.tag === DER_TAG.OID ? derOid(key.parameters, what) : undefined,
      tbsSignatureAlgorithm: algorithmOf(tbsAlgorithm, `${what} TBS signature`),
      signatureAlgorithm: algorithmOf(signatureAlgorithm, `${what} signatureAlgorithm`),
      signature: bits.bytes,
      extensions: Object.freeze(extensionsOf(rest.find((e) => e.tag === contextTag(3)), what)),
      what,
    });
    assert(parsed.tbs.length > 0 && parsed.tbs.length < der.length, 'TBS inside the certificate');
    assert(parsed.spkiDer.length > 0, 'a certificate has a key');
    return parsed;
  } catch (error) {
    if (error instanceof SimError) throw bad(what, `not an X.509 certificate (${error.message})`);
    throw error;
  }
}

/** A node:crypto KeyObject for a SubjectPublicKeyInfo, memoised (re-importing costs ~0.4 ms). */
export function publicKeyOf(spkiDer: Uint8Array): KeyObject {
  const key = memo('verifier.public-key', sha256Hex(spkiDer), () => {
    try {
      return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
    } catch (error) {
      if (!isInputRefusal(error)) throw error;
      throw new SimError('SNP_BAD_KEY', { bytes: spkiDer.length },
        'public key cannot be decoded');
    }
  }, MEMO_LIMIT);
  assert(key.type === 'public', 'a SubjectPublicKeyInfo gives a public key');
  return key;
}

const ID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const ID_SHA384 = '2.16.840.1.101.3.4.2.2';
const ID_MGF1 = '1.2.840.113549.1.1.8';

/**
 * Why an AlgorithmIdentifier is not AMD's RSASSA-PSS SHA-384 / MGF1-SHA-384 / salt 48, or
 * undefined (RFC 4055 §3.1; an absent trailerField is its DEFAULT 1, as 2024+ leaves omit it).
 */
export function pssProblem(algorithm: AlgorithmInfo): string | undefined {
  if (algorithm.oid !== ID_RSASSA_PSS) {
    return `signature algorithm ${algorithm.oid} is not RSASSA-PSS`;
  }
  if (algorithm.parameters === undefined) return 'RSASSA-PSS without parameters';
  try {
    const fields = new Map(derSequence(algorithm.parameters, 'RSASSA-PSS-params')
      .map((e) => [e.tag, derChildren(e, 'RSASSA-PSS-params')[0]] as const));
    const hash = fields.get(contextTag(0));
    if (hash === undefined || algorithmOf(hash, 'hash').oid !== ID_SHA384) {
      return 'RSASSA-PSS hash is not SHA-384';
    }
    const mgf = algorithmOf(fields.get(contextTag(1)), 'maskGenAlgorithm');
    if (mgf.oid !== ID_MGF1) return 'RSASSA-PSS mask is not MGF1';
    if (mgf.parameters === undefined) return 'MGF1 without a hash';
    if (algorithmOf(mgf.parameters, 'MGF1 hash').oid !== ID_SHA384) {
      return 'MGF1 hash is not SHA-384';
    }
    const salt = fields.get(contextTag(2));
    if (salt === undefined || derUnsigned(salt, 'saltLength') !== 48n) {
      return 'RSASSA-PSS salt length is not 48';
    }
    const trailer = fields.get(contextTag(3));
    if (trailer !== undefined && derUnsigned(trailer, 'trailerField') !== 1n) {
      return 'RSASSA-PSS trailer field is not 1';
    }
  } catch (error) {
    if (error instanceof SimError) return 'RSASSA-PSS parameters do not decode';
    throw error;
  }
  return undefined;
}

/** RSASSA-PSS-VERIFY, SHA-384 / MGF1-SHA-384 / salt length 48 enforced (node:crypto). */
function rsaPssVerify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  assert(publicKey.asymmetricKeyType === 'rsa', 'rsaPssVerify: an RSA key');
  assert(message.length > 0, 'rsaPssVerify: a message');
  return verify('sha384', message, {
    key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48,
  }, signature);
}

/**
 * Why `cert` is not validly signed by `issuer` (names, algorithm, signature), or undefined.
 * A pure function of the two certificates' bytes, memoised by their digests.
 */
export function signatureProblem(cert: ParsedCertificate,
  issuer: ParsedCertificate): string | undefined {
  const answer = memo('verifier.certificate-signature',
    `${cert.what}:${cert.digest}:${issuer.what}:${issuer.digest}`,
    () => ({ problem: computeSignatureProblem(cert, issuer) }), MEMO_LIMIT);
  assert(answer.problem === undefined || answer.problem.length > 0);
  return answer.problem;
}

function computeSignatureProblem(cert: ParsedCertificate,
  issuer: ParsedCertificate): string | undefined {
  if (!bytesEqual(cert.issuerDer, issuer.subjectDer)) {
    return `${cert.what} issuer '${cert.issuerCn ?? '?'}' is not ` +
      `${issuer.what} subject '${issuer.subjectCn ?? '?'}'`;
  }
  if (!bytesEqual(cert.signatureAlgorithm.encoded, cert.tbsSignatureAlgorithm.encoded)) {
    return `${cert.what}: signatureAlgorithm differs from TBS signature`;
  }
  const algorithm = pssProblem(cert.signatureAlgorithm);
  if (algorithm !== undefined) return `${cert.what}: ${algorithm}`;
  const key = publicKeyOf(issuer.spkiDer);
  if (key.asymmetricKeyType !== 'rsa') return `${issuer.what} key is not RSA`;
  const ok = rsaPssVerify(key, cert.tbs, cert.signature);
  return ok ? undefined : `${cert.what} signature does not verify under the ${issuer.what} key`;
}

const ID_BASIC_CONSTRAINTS = '2.5.29.19';
const ID_KEY_USAGE = '2.5.29.15';
const KEY_CERT_SIGN_BIT = 5; // KeyUsage bit 5 (RFC 5280 §4.2.1.3), counted from the MSB

/** Why a CA certificate may not issue certificates (BasicConstraints / KeyUsage), or undefined. */
export function caProblem(cert: ParsedCertificate): string | undefined {
  const bc = cert.extensions.find((e) => e.extnID === ID_BASIC_CONSTRAINTS);
  const ku = cert.extensions.find((e) => e.extnID === ID_KEY_USAGE);
  try {
    const constraints = bc === undefined ? [] : derSequence(derParse(bc.value, 'bc'), 'bc');
    const isCa = constraints[0]?.tag === DER_TAG.BOOLEAN && derBoolean(constraints[0], 'cA');
    if (!isCa) return `${cert.what} is not a CA (BasicConstraints)`;
    if (ku !== undefined) {
      const usage = derBitString(derParse(ku.value, 'ku'), 'ku').bytes;
      if (((usage[0] ?? 0) & (0x80 >> KEY_CERT_SIGN_BIT)) === 0) {
        return `${cert.what} KeyUsage lacks keyCertSign`;
      }
    }
  } catch (error) {
    if (error instanceof SimError) {
      return `${cert.what} has a malformed BasicConstraints/KeyUsage`;
    }
    throw error;
  }
  return undefined;
}

/** Why the certificate's key is not an ECDSA P-384 key, or undefined. */
export function p384Problem(cert: ParsedCertificate): string | undefined {
  if (cert.spkiAlgorithm !== ID_EC_PUBLIC_KEY) return `${cert.what} key is not an EC key`;
  if (cert.spkiCurve !== ID_SECP384R1) {
    return `${cert.what} key is on ${cert.spkiCurve ?? 'an unknown curve'}, not P-384`;
  }
  const key = publicKeyOf(cert.spkiDer);
  assert(key.asymmetricKeyDetails?.namedCurve === 'secp384r1', 'node agrees: P-384');
  return undefined;
}

export type ParsedCrl = Readonly<{
  der: Uint8Array;
  digest: string;
  tbs: Uint8Array;
  issuerDer: Uint8Array;
  nextUpdate: Date | undefined;
  revoked: readonly bigint[];
  tbsSignatureAlgorithm: AlgorithmInfo;
  signatureAlgorithm: AlgorithmInfo;
  signature: Uint8Array;
}>;

/**
 * DER or PEM CRL → parsed; a string reason when it does not decode (a bad CRL is a failure, not a
 * crash).
 */
export function parseCrl(input: Uint8Array): ParsedCrl | string {
  let der = input;
  if (Buffer.from(input.subarray(0, 64)).toString('latin1').includes('-----BEGIN')) {
    const blocks = fromPem(Buffer.from(input).toString('latin1'), 'X509 CRL');
    if (blocks.length !== 1) return `expected one PEM X509 CRL block, found ${blocks.length}`;
    der = blocks[0]!;
  }
  if (der.length === 0) return 'CRL does not decode';
  const digest = sha256Hex(der);
  const parsed = memo('verifier.crl', digest, () => {
    try {
      return decodeCrl(der.slice(), digest);
    } catch (error) {
      if (error instanceof SimError) return 'CRL does not decode';
      throw error;
    }
  }, MEMO_LIMIT);
  if (typeof parsed !== 'string') assert(parsed.digest === digest, 'a memo hit is the same CRL');
  return parsed;
}

function decodeCrl(der: Uint8Array, digest: string): ParsedCrl {
  const [tbsElement, signatureAlgorithm, signature, extra] =
    derSequence(derParse(der, 'CRL'), 'CRL');
  if (extra !== undefined) throw derError('CRL', 'CertificateList has more than three parts');
  const parts = derSequence(tbsElement, 'TBSCertList');
  const body = parts[0]?.tag === DER_TAG.INTEGER ? parts.slice(1) : parts;
  const [algorithm, issuer, thisUpdate, ...rest] = body;
  derTime(thisUpdate, 'thisUpdate');
  const isTime = (e: DerElement | undefined): boolean =>
    e?.tag === DER_TAG.UTC_TIME || e?.tag === DER_TAG.GENERALIZED_TIME;
  const nextUpdate = isTime(rest[0]) ? derTime(rest.shift(), 'nextUpdate') : undefined;
  const list = rest[0]?.tag === DER_TAG.SEQUENCE ? derSequence(rest.shift(), 'revoked') : [];
  const revoked = list.map((entry) => derUnsigned(derSequence(entry, 'revoked entry')[0],
    'revoked serial'));
  const crl: ParsedCrl = Object.freeze({
    der, digest, tbs: tbsElement!.encoded,
    issuerDer: derExpect(issuer, DER_TAG.SEQUENCE, 'CRL issuer').encoded,
    nextUpdate, revoked: Object.freeze(revoked),
    tbsSignatureAlgorithm: algorithmOf(algorithm, 'CRL TBS signature'),
    signatureAlgorithm: algorithmOf(signatureAlgorithm, 'CRL signatureAlgorithm'),
    signature: wholeBytes(derBitString(signature, 'CRL signature'), 'CRL signature'),
  });
  assert(crl.tbs.length < der.length, 'TBS inside the CRL');
  assert(crl.revoked.length === list.length, 'every entry has a serial');
  return crl;
}

function wholeBytes(bits: Readonly<{ bytes: Uint8Array; unusedBits: number }>,
  what: string): Uint8Array {
  if (bits.unusedBits !== 0) throw derError(what, 'BIT STRING has unused bits');
  return bits.bytes;
}

/** Why `crl` is not validly signed by `ark` (issuer name, algorithm, signature), or undefined. */
export function crlSignatureProblem(crl: ParsedCrl, ark: ParsedCertificate): string | undefined {
  const answer = memo('verifier.crl-signature', `${crl.digest}:${ark.digest}`, () => {
    if (!bytesEqual(crl.issuerDer, ark.subjectDer)) {
      return { problem: `CRL issuer is not the ARK '${ark.subjectCn ?? '?'}'` };
    }
    if (!bytesEqual(crl.signatureAlgorithm.encoded, crl.tbsSignatureAlgorithm.encoded)) {
      return { problem: 'CRL: signatureAlgorithm differs from TBS signature' };
    }
    const algorithm = pssProblem(crl.signatureAlgorithm);
    if (algorithm !== undefined) return { problem: `CRL: ${algorithm}` };
    const ok = rsaPssVerify(publicKeyOf(ark.spkiDer), crl.tbs, crl.signature);
    return { problem: ok ? undefined : 'CRL signature does not verify under the ARK key' };
  }, MEMO_LIMIT);
  assert(answer.problem === undefined || answer.problem.length > 0);
  return answer.problem;
}

/**
 * Models: a relying party's view of one X.509 certificate or CRL in the AMD SEV-SNP chain
 *   (RFC 5280; the AMD profile of spec snp.md e.2/e.3): decode, then check signature, names,
 *   validity and the RSASSA-PSS parameters. Bytes only: no chain or report policy here.
 * Real counterpart: go-sev-guest `verify/verify.go` certificate handling; openssl x509/crl.
 * Differs: only what the AMD profile needs (RSASSA-PSS SHA-384 and ECDSA P-384 SPKIs).
 * Invariants: undecodable bytes are SimError SNP_BAD_CERT (malformed input), never a crash;
 *   a certificate must re-encode to exactly its input (DER, no trailing bytes); public keys are
 *   parsed once per distinct SPKI (bounded cache).
 */
import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { id_mgf1, id_RSASSA_PSS, id_sha384, RsaSaPssParams } from '@peculiar/asn1-rsa';
import {
  AlgorithmIdentifier, BasicConstraints, Certificate, CertificateList, KeyUsage, KeyUsageFlags,
  Name,
  id_ce_basicConstraints, id_ce_keyUsage,
} from '@peculiar/asn1-x509';
import { assert } from '../../sim/kernel/assert.js';
import { bigintFromBytesBE, bytesEqual, toHex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import { fromPem } from '../snp/pem.js';
import { ID_EC_PUBLIC_KEY, ID_SECP384R1 } from '../snp/amd-extensions.js';

export type ParsedCertificate = Readonly<{
  der: Uint8Array;
  certificate: Certificate;
  tbs: Uint8Array;
  serial: bigint;
  subjectDer: Uint8Array;
  issuerDer: Uint8Array;
  subjectCn: string | undefined;
  issuerCn: string | undefined;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Uint8Array;
  /** What the certificate is called in messages ('ark', 'ask', 'vcek', …). */
  what: string;
}>;

function bad(what: string, reason: string): SimError {
  return new SimError('SNP_BAD_CERT', { certificate: what, reason }, `${what}: ${reason}`);
}

/** DER or PEM (one CERTIFICATE block) → bytes. */
export function certificateBytes(input: Uint8Array, what: string): Uint8Array {
  const text = Buffer.from(input.subarray(0, 64)).toString('latin1');
  if (!text.includes('-----BEGIN')) return input;
  const blocks = fromPem(Buffer.from(input).toString('latin1'));
  if (blocks.length !== 1) throw bad(what, `expected one PEM certificate, found ${blocks.length}`);
  return blocks[0]!;
}

function commonName(name: Name): string | undefined {
  for (const rdn of name) {
    for (const attr of rdn) if (attr.type === '2.5.4.3') return attr.value.toString();
  }
  return undefined;
}

const parsedCache = new Map<string, ParsedCertificate>();
const PARSED_CACHE_MAX = 256;

/**
 * Decodes a DER (or single-PEM) certificate; SNP_BAD_CERT when it is not one. Memoized by content
 * (SHA-256 of the DER) in a bounded cache: ASN.1 decoding costs far more than the RSA checks.
 */
export function parseCertificate(input: Uint8Array, what: string): ParsedCertificate {
  const der = certificateBytes(input, what);
  const id = `${what}:${createHash('sha256').update(der).digest('hex')}`;
  const cached = parsedCache.get(id);
  if (cached !== undefined) return cached;
  const parsed = decodeCertificate(der, what);
  if (parsedCache.size >= PARSED_CACHE_MAX) {
    parsedCache.delete(parsedCache.keys().next().value as string);
  }
  parsedCache.set(id, parsed);
  assert(parsedCache.size <= PARSED_CACHE_MAX);
  return parsed;
}

function decodeCertificate(der: Uint8Array, what: string): ParsedCertificate {
  if (der.length < 16 || der.length > 16_384) {
    throw bad(what, `implausible size ${der.length} bytes`);
  }
  let certificate: Certificate;
  try {
    certificate = AsnConvert.parse(der, Certificate);
  } catch (error) {
    throw bad(what, 'not an X.509 certificate ' +
      `(${error instanceof Error ? error.message.slice(0, 80) : 'parse error'})`);

  }
  if (!bytesEqual(new Uint8Array(AsnConvert.serialize(certificate)), der)) {
    throw bad(what, 'not DER (trailing or non-canonical bytes)');
  }
  const raw = certificate.tbsCertificateRaw;
  if (raw === undefined) throw bad(what, 'no TBSCertificate');
  const tbs = certificate.tbsCertificate;
  const parsed: ParsedCertificate = Object.freeze({
    der, certificate, tbs: new Uint8Array(raw),
    serial: bigintFromBytesBE(new Uint8Array(tbs.serialNumber)),
    subjectDer: new Uint8Array(AsnConvert.serialize(tbs.subject)),
    issuerDer: new Uint8Array(AsnConvert.serialize(tbs.issuer)),
    subjectCn: commonName(tbs.subject), issuerCn: commonName(tbs.issuer),
    notBefore: tbs.validity.notBefore.getTime(), notAfter: tbs.validity.notAfter.getTime(),
    spkiDer: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
    what,
  });
  assert(parsed.tbs.length > 0 && parsed.tbs.length < der.length, 'TBS inside the certificate');
  return parsed;
}

const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_MAX = 512;

/** A cached node:crypto KeyObject for a SubjectPublicKeyInfo (re-importing costs ~0.4 ms). */
export function publicKeyOf(spkiDer: Uint8Array): KeyObject {
  const id = toHex(spkiDer);
  const cached = keyCache.get(id);
  if (cached !== undefined) return cached;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch {
    throw new SimError('SNP_BAD_KEY', { bytes: spkiDer.length }, 'public key cannot be decoded');
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(id, key);
  assert(keyCache.size <= KEY_CACHE_MAX);
  return key;
}

/**
 * Why an AlgorithmIdentifier is not AMD's RSASSA-PSS SHA-384 / MGF1-SHA-384 / salt 48, or
 * undefined.
 */
export function pssProblem(algorithm: AlgorithmIdentifier): string | undefined {
  if (algorithm.algorithm !== id_RSASSA_PSS) {
    return `signature algorithm ${algorithm.algorithm} is not RSASSA-PSS`;
  }
  if (algorithm.parameters === null || algorithm.parameters === undefined) {
    return 'RSASSA-PSS without parameters';
  }
  let params: RsaSaPssParams;
  try {
    params = AsnConvert.parse(algorithm.parameters, RsaSaPssParams);
  } catch {
    return 'RSASSA-PSS parameters do not decode';
  }
  if (params.hashAlgorithm.algorithm !== id_sha384) return 'RSASSA-PSS hash is not SHA-384';
  if (params.maskGenAlgorithm.algorithm !== id_mgf1) return 'RSASSA-PSS mask is not MGF1';
  const mgfHash = params.maskGenAlgorithm.parameters;
  if (mgfHash === null || mgfHash === undefined) return 'MGF1 without a hash';
  try {
    if (AsnConvert.parse(mgfHash, AlgorithmIdentifier).algorithm !== id_sha384) {
      return 'MGF1 hash is not SHA-384';
    }
  } catch {
    return 'MGF1 parameters do not decode';
  }
  if (params.saltLength !== 48) return `RSASSA-PSS salt length ${params.saltLength} is not 48`;
  if (params.trailerField !== 1) return 'RSASSA-PSS trailer field is not 1';
  return undefined;
}

/** RSASSA-PSS-VERIFY, SHA-384 / MGF1-SHA-384 / salt length 48 enforced (node:crypto). */
function rsaPssVerify(
  options: Readonly<{ publicKey: KeyObject; message: Uint8Array; signature: Uint8Array }>,
): boolean {
  assert(options.publicKey.asymmetricKeyType === 'rsa', 'rsaPssVerify: an RSA key');
  return verify('sha384', options.message, {
    key: options.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48,
  }, options.signature);
}

const signatureMemo = new WeakMap<ParsedCertificate, Map<ParsedCertificate, string | undefined>>();

/**
 * Why `cert` is not validly signed by `issuer` (names, algorithm, signature), or undefined.
 * A pure function of the two (immutable, cached) certificates, so the answer is memoized.
 */
export function signatureProblem(cert: ParsedCertificate,
  issuer: ParsedCertificate): string | undefined {
  let byIssuer = signatureMemo.get(cert);
  if (byIssuer === undefined) {
    byIssuer = new Map();
    signatureMemo.set(cert, byIssuer);
  }
  if (byIssuer.has(issuer)) return byIssuer.get(issuer);
  const problem = computeSignatureProblem(cert, issuer);
  if (byIssuer.size < 16) byIssuer.set(issuer, problem);
  assert(problem === undefined || problem.length > 0);
  return problem;
}

function computeSignatureProblem(cert: ParsedCertificate,
  issuer: ParsedCertificate): string | undefined {
  if (!bytesEqual(cert.issuerDer, issuer.subjectDer)) {
    return `${cert.what} issuer '${cert.issuerCn ?? '?'}' is not ` +
      `${issuer.what} subject '${issuer.subjectCn ?? '?'}'`;
  }
  const outer = AsnConvert.serialize(cert.certificate.signatureAlgorithm);
  const inner = AsnConvert.serialize(cert.certificate.tbsCertificate.signature);
  if (!bytesEqual(new Uint8Array(outer), new Uint8Array(inner))) {
    return `${cert.what}: signatureAlgorithm differs from TBS signature`;
  }
  const algorithm = pssProblem(cert.certificate.signatureAlgorithm);
  if (algorithm !== undefined) return `${cert.what}: ${algorithm}`;
  const key = publicKeyOf(issuer.spkiDer);
  if (key.asymmetricKeyType !== 'rsa') return `${issuer.what} key is not RSA`;
  const ok = rsaPssVerify({
    publicKey: key, message: cert.tbs, signature: new Uint8Array(cert.certificate.signatureValue),
  });
  return ok ? undefined : `${cert.what} signature does not verify under the ${issuer.what} key`;
}

/** Why a CA certificate may not issue certificates (BasicConstraints / KeyUsage), or undefined. */
export function caProblem(cert: ParsedCertificate): string | undefined {
  const extensions = cert.certificate.tbsCertificate.extensions ?? [];
  const bc = extensions.find((e) => e.extnID === id_ce_basicConstraints);
  const ku = extensions.find((e) => e.extnID === id_ce_keyUsage);
  try {
    if (bc === undefined || !AsnConvert.parse(bc.extnValue, BasicConstraints).cA) {
      return `${cert.what} is not a CA (BasicConstraints)`;
    }
    if (ku !== undefined &&
      (AsnConvert.parse(ku.extnValue, KeyUsage).toNumber() & KeyUsageFlags.keyCertSign) === 0) {
      return `${cert.what} KeyUsage lacks keyCertSign`;
    }
  } catch {
    return `${cert.what} has a malformed BasicConstraints/KeyUsage`;
  }
  return undefined;
}

/** Why `spkiDer` is not an ECDSA P-384 key, or undefined. */
export function p384Problem(cert: ParsedCertificate): string | undefined {
  const spki = cert.certificate.tbsCertificate.subjectPublicKeyInfo;
  if (spki.algorithm.algorithm !== ID_EC_PUBLIC_KEY) return `${cert.what} key is not an EC key`;
  const key = publicKeyOf(cert.spkiDer);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve !== 'secp384r1' && curve !== ID_SECP384R1) {
    return `${cert.what} key is on ${curve ?? 'an unknown curve'}, not P-384`;
  }
  return undefined;
}

export type ParsedCrl = Readonly<{
  crl: CertificateList; tbs: Uint8Array; issuerDer: Uint8Array; revoked: readonly bigint[];
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
  let crl: CertificateList;
  try {
    crl = AsnConvert.parse(der, CertificateList);
  } catch {
    return 'CRL does not decode';
  }
  if (!bytesEqual(new Uint8Array(AsnConvert.serialize(crl)), der)) {
    return 'CRL is not DER (trailing or non-canonical bytes)';
  }
  if (crl.tbsCertListRaw === undefined) return 'CRL has no TBSCertList';
  const revoked = (crl.tbsCertList.revokedCertificates ?? [])
    .map((r) => bigintFromBytesBE(new Uint8Array(r.userCertificate)));
  return {
    crl, tbs: new Uint8Array(crl.tbsCertListRaw),
    issuerDer: new Uint8Array(AsnConvert.serialize(crl.tbsCertList.issuer)), revoked,
  };
}

/** Why `crl` is not validly signed by `ark` (issuer name, algorithm, signature), or undefined. */
export function crlSignatureProblem(crl: ParsedCrl, ark: ParsedCertificate): string | undefined {
  if (!bytesEqual(crl.issuerDer, ark.subjectDer)) {
    return `CRL issuer is not the ARK '${ark.subjectCn ?? '?'}'`;
  }
  const algorithm = pssProblem(crl.crl.signatureAlgorithm);
  if (algorithm !== undefined) return `CRL: ${algorithm}`;
  const ok = rsaPssVerify({
    publicKey: publicKeyOf(ark.spkiDer), message: crl.tbs,
    signature: new Uint8Array(crl.crl.signature),
  });
  return ok ? undefined : 'CRL signature does not verify under the ARK key';
}

/**
 * Models: a relying party verifying an SEV-SNP ATTESTATION_REPORT (spec snp.md e.4; ABI spec
 *   56860 report + signature; KDS spec 57230 certificates), kept in go-sev-guest's three layers:
 *   (1) the report bytes: length, VERSION, and every rule of models/snp/report-abi.ts (reserved
 *       ranges and bits, TCB reserved bytes per layout, KEY_INFO, VMPL, SIGNATURE_ALGO), the one
 *       table `snp show` judges by too,
 *   (2) the signature chain: pinned ARK (by public key) → ASK/ASVK → VCEK/VLEK, all RSASSA-PSS
 *       SHA-384 salt 48, an optional ARK-signed CRL, then ECDSA P-384 over bytes [0x000, 0x2A0),
 *   (3) the field policy (appraisal.ts), plus the binding of the leaf's AMD extensions to the
 *       report: SPLs = REPORTED_TCB (fmc too on Turin), hwid = CHIP_ID (first 8 bytes on Turin),
 *       product (productName stepping suffixes like "Milan-B0" tolerated).
 * Real counterpart: go-sev-guest verify + validate, virtee/snpguest verify, Trustee's SNP verifier.
 * Differs: validity periods are checked only at an explicit time (`at`); without it the verdict
 *   says `validityChecked: false` — models never read the wall clock. Unknown PLATFORM_INFO bits
 *   (bit 6 on real Turin) are tolerated.
 * Invariants: undecodable input (report length/VERSION, certificates) throws SimError SNP_*;
 *   everything else is a failure value with a VERIFY_* code, all failures listed; the ARK the
 *   evidence carries is never trusted by itself; a CRL that does not parse or verify is a
 *   failure, never "nothing revoked"; unsigned bytes after the signature must be zero; nothing
 *   here imports the fake issuer (a test walks the import graph); the only state is the kernel
 *   memo (certificate parses, keys, signature answers, all keyed by content).
 */
import { createHash, verify as cryptoVerify } from 'node:crypto';
import { assert } from '../../sim/kernel/assert.js';
import { memo } from '../../sim/kernel/memo.js';
import { SimError } from '../../sim/kernel/errors.js';
import { bytesEqual, concatBytes, fromLE72, toHex } from '../../sim/kernel/bytes.js';
import {
  ATTESTATION_REPORT, type AttestationReport, decodeAttestationReport, REPORT_BYTES, signedSpan,
} from '../snp/attestation-report.js';
import { reportAbiViolations, reportTcbLayout } from '../snp/report-abi.js';
import { fieldOf } from '../../sim/kernel/layout.js';
import { decodeKeyInfo } from '../snp/key-info.js';
import { PRODUCTS, PRODUCT_NAMES, productFromCpuid, type Product } from '../snp/product.js';
import { decodeTcb, tcbComponentsOf, type TcbParts } from '../snp/tcb-version.js';
import { decodeAmdExtensions, type AmdLeafExtensions } from '../snp/amd-extensions.js';
import { appraiseReport, type AppraisalOptions } from './appraisal.js';
import {
  caProblem, crlSignatureProblem, p384Problem, parseCertificate, parseCrl, publicKeyOf,
  signatureProblem,
  type ParsedCertificate,
} from './certificate.js';
import type { TrustAnchor } from './trust-anchors.js';
import { failure, type Verdict, type VerifyFailure } from './verdict.js';

export type EvidenceCertificates = Readonly<{
  ark?: Uint8Array; ask?: Uint8Array; asvk?: Uint8Array; vcek?: Uint8Array; vlek?: Uint8Array;
}>;

export type VerifyReportOptions = Readonly<{
  /** Pinned roots; the evidence ARK must carry one of their public keys. */
  trustAnchors: readonly TrustAnchor[];
  /** DER or PEM CRL signed by the ARK; revoked ASK/ASVK serials fail the chain. */
  crl?: Uint8Array;
  /** Verification time for certificate validity; undefined = validity not checked. */
  at?: Date;
  /** Expected product; required knowledge for v2 reports unless the leaf's issuer names it. */
  product?: Product;
  /** Non-zero reserved bytes inside the signed span fail (default true). */
  strictReserved?: boolean;
  appraisal?: AppraisalOptions;
}>;

export type ReportClaims = Readonly<{
  product: Product;
  version: number;
  signedBy: 'vcek' | 'vlek';
  validityChecked: boolean;
  trustAnchor: string;
  vmpl: number;
  policy: string;
  measurement: string;
  host_data: string;
  report_data: string;
  chip_id: string;
  /** The product layout's components only (no `fmc` on Milan/Genoa). */
  reported_tcb: Readonly<Partial<Record<keyof TcbParts, number>>>;
  platform_info: string;
}>;

export type ReportVerdict = Verdict<ReportClaims>;

const SIGNING_KEYS: Readonly<Record<number, 'vcek' | 'vlek' | undefined>> = {
  0: 'vcek', 1: 'vlek',
};

/**
 * Layer 1: the report bytes. Throws SimError for undecodable bytes (length, VERSION); lists every
 * ABI rule the report breaks (models/snp/report-abi.ts, the same table `snp show` judges by).
 * Without `strictReserved` the reserved bits and bytes inside the signed span are tolerated; the
 * unsigned bytes after the signature, field ranges and SIGNATURE_ALGO never are.
 */
function checkReportBytes(bytes: Uint8Array, strictReserved: boolean,
  product: Product | undefined): { report: AttestationReport; failures: VerifyFailure[] } {
  const report = decodeAttestationReport(bytes, { strict: false });
  const violations = reportAbiViolations(report, reportTcbLayout(report, product));
  const failures = violations
    .filter((v) => strictReserved || v.verifyCode !== 'VERIFY_RESERVED' || !v.signed)
    .map((v) => failure(v.verifyCode, v.message,
      { rule: v.rule, field: v.field, signed: v.signed, ...v.detail }));
  assert(report.version >= 2, 'decoded report has a known version');
  assert(bytes.length === REPORT_BYTES, 'decoded report has the report length');
  return { report, failures };
}

/** "Milan-B0" → Milan; "Genoa" → Genoa; anything else → undefined. */
export function productOfName(name: string | undefined): Product | undefined {
  if (name === undefined) return undefined;
  const base = name.split('-')[0] ?? '';
  return PRODUCT_NAMES.find((p) => p === base);
}

/** Product of an intermediate's CN: SEV-Milan / SEV-VLEK-Milan. */
function productOfIssuerCn(cn: string | undefined): Product | undefined {
  const match = cn === undefined ? null : /^SEV-(?:VLEK-)?([A-Za-z]+)$/.exec(cn);
  return match === null ? undefined : PRODUCT_NAMES.find((p) => p === match[1]);
}

type ProductResult = { product?: Product; failures: VerifyFailure[] };

/** The report's product from every source that names one; disagreement or none is a failure. */
function resolveProduct(report: AttestationReport, leaf: ParsedCertificate,
  expected: Product | undefined): ProductResult {
  const sources: [string, Product | undefined][] = [];
  if (report.version >= 3) {
    const family = report.cpuid_fam_id;
    const model = report.cpuid_mod_id;
    const fromCpuid = productFromCpuid(family, model);
    if (fromCpuid === undefined) {
      const message =
        `CPUID family 0x${family.toString(16)} model 0x${model.toString(16)} is no known product`;
      return {
        failures: [failure('VERIFY_PRODUCT_MISMATCH', message,
          { cpuid_fam_id: family, cpuid_mod_id: model })],
      };
    }
    sources.push(['report CPUID', fromCpuid]);
  }
  if (expected !== undefined) sources.push(['expected product', expected]);
  sources.push([`${leaf.what} issuer '${leaf.issuerCn ?? '?'}'`, productOfIssuerCn(leaf.issuerCn)]);
  const named = sources.filter((s): s is [string, Product] => s[1] !== undefined);
  const first = named[0];
  if (first === undefined) {
    const message =
      'the product cannot be determined (v2 report, no expected product, unknown issuer)';
    return { failures: [failure('VERIFY_PRODUCT_MISMATCH', message, {})] };
  }
  if (named.some((s) => s[1] !== first[1])) {
    const message = `product disagrees: ${named.map(([w, p]) => `${w} → ${p}`).join(', ')}`;
    return {
      failures: [failure('VERIFY_PRODUCT_MISMATCH', message,
        { sources: Object.fromEntries(named) })],
    };
  }
  assert(named.every((s) => s[1] === first[1]), 'every source names the same product');
  return { product: first[1], failures: [] };
}

function validityFailures(cert: ParsedCertificate, at: Date | undefined): VerifyFailure[] {
  if (at === undefined) return [];
  const t = at.getTime();
  if (t >= cert.notBefore.getTime() && t <= cert.notAfter.getTime()) return [];
  const [from, to] = [cert.notBefore.toISOString(), cert.notAfter.toISOString()];
  return [failure('VERIFY_EXPIRED',
    `${cert.what} is not valid at ${at.toISOString()} (valid ${from} .. ${to})`,
    { certificate: cert.what, at: at.toISOString(), notBefore: from, notAfter: to })];
}

type ChainResult = {
  failures: VerifyFailure[];
  ark?: ParsedCertificate;
  intermediate?: ParsedCertificate;
  anchor?: TrustAnchor;
};

/** Layer 2a: pinned ARK → ASK/ASVK → leaf. */
function checkChain(leaf: ParsedCertificate, signedBy: 'vcek' | 'vlek', product: Product,
  certs: EvidenceCertificates, options: VerifyReportOptions): ChainResult {
  const anchor = options.trustAnchors.find((a) => a.product === product);
  if (anchor === undefined) {
    return {
      failures: [failure('VERIFY_UNTRUSTED_ROOT', `no pinned trust anchor for ${product}`,
        { product })],
    };
  }
  const pinned = parseCertificate(anchor.ark, `pinned ARK-${product}`);
  const ark = certs.ark === undefined ? pinned : parseCertificate(certs.ark, 'ark');
  if (!bytesEqual(ark.spkiDer, pinned.spkiDer)) {
    const message =
      `the ARK '${ark.subjectCn ?? '?'}' is not the pinned ${product} root (${anchor.source})`;
    return {
      failures: [failure('VERIFY_UNTRUSTED_ROOT', message,
        { product, anchor: anchor.source, subject: ark.subjectCn })],
    };
  }
  const role = signedBy === 'vcek' ? 'ask' : 'asvk';
  const intermediateBytes = certs[role] ?? anchor[role];
  if (intermediateBytes === undefined) {
    const message = `no ${role.toUpperCase()} certificate supplied or pinned`;
    return { failures: [failure('VERIFY_BAD_CHAIN', message, { missing: role })] };
  }
  const intermediate = parseCertificate(intermediateBytes, role);
  const failures: VerifyFailure[] = [];
  const chainProblem = (problem: string | undefined, cert: string): void => {
    if (problem !== undefined) {
      failures.push(failure('VERIFY_BAD_CHAIN', problem, { certificate: cert }));
    }
  };
  chainProblem(signatureProblem(ark, ark), 'ark');
  chainProblem(caProblem(ark), 'ark');
  chainProblem(signatureProblem(intermediate, ark), role);
  chainProblem(caProblem(intermediate), role);
  chainProblem(signatureProblem(leaf, intermediate), leaf.what);
  const expectedCn = signedBy === 'vcek' ? `SEV-${product}` : `SEV-VLEK-${product}`;
  if (intermediate.subjectCn !== expectedCn) {
    const message = `${role} is '${intermediate.subjectCn ?? '?'}', expected '${expectedCn}'`;
    failures.push(failure('VERIFY_PRODUCT_MISMATCH', message,
      { certificate: role, subject: intermediate.subjectCn, expected: expectedCn }));
  }
  for (const cert of [ark, intermediate, leaf]) {
    failures.push(...validityFailures(cert, options.at));
  }
  assert(bytesEqual(ark.spkiDer, pinned.spkiDer), 'the chain is rooted in the pinned key');
  return { failures, ark, intermediate, anchor };
}

/** Layer 2b: the CRL, if one was given. A CRL that does not parse or verify is a failure. */
function checkCrl(crlBytes: Uint8Array | undefined, ark: ParsedCertificate,
  intermediate: ParsedCertificate, at: Date | undefined): VerifyFailure[] {
  if (crlBytes === undefined) return [];
  const crl = parseCrl(crlBytes);
  if (typeof crl === 'string') {
    return [failure('VERIFY_BAD_CRL',
      `${crl}; a CRL that does not parse is not "nothing revoked"`, { reason: crl })];
  }
  const problem = crlSignatureProblem(crl, ark);
  if (problem !== undefined) return [failure('VERIFY_BAD_CRL', problem, { reason: problem })];
  const failures: VerifyFailure[] = [];
  const next = crl.nextUpdate;
  if (at !== undefined && next !== undefined && at.getTime() > next.getTime()) {
    failures.push(failure('VERIFY_BAD_CRL',
      `CRL is stale: nextUpdate ${next.toISOString()} is before ${at.toISOString()}`,
      { nextUpdate: next.toISOString() }));
  }
  const serial = `0x${intermediate.serial.toString(16)}`;
  if (crl.revoked.includes(intermediate.serial)) {
    failures.push(failure('VERIFY_REVOKED',
      `${intermediate.what} '${intermediate.subjectCn ?? '?'}' serial ${serial} is revoked`,
      { certificate: intermediate.what, serial }));
  }
  if (crl.revoked.includes(intermediate.serial)) {
    assert(failures.some((f) => f.code === 'VERIFY_REVOKED'));
  }
  return failures;
}

const TCB_COMPONENTS_OF = {
  legacy: ['bl', 'tee', 'snp', 'ucode'],
  turin: ['fmc', 'bl', 'tee', 'snp', 'ucode'],
} as const;

/** Binding the leaf's AMD extensions to the report: TCB, hwid, product name, key kind. */
function checkLeafExtensions(leaf: ParsedCertificate, report: AttestationReport, product: Product,
  signedBy: 'vcek' | 'vlek'): VerifyFailure[] {
  let ext: AmdLeafExtensions;
  try {
    ext = decodeAmdExtensions(leaf.extensions);
  } catch (error) {
    if (!(error instanceof SimError)) throw error;
    const reason = error.message;
    return [failure('VERIFY_BAD_CHAIN', `${leaf.what} AMD extensions are malformed: ${reason}`,
      { certificate: leaf.what })];
  }
  const failures: VerifyFailure[] = [];
  const info = PRODUCTS[product];
  const reported = decodeTcb(report.reported_tcb, info.tcbLayout);
  const wrong = TCB_COMPONENTS_OF[info.tcbLayout].filter((c) => ext.spl[c] !== reported[c]);
  if (wrong.length > 0) {
    failures.push(failure('VERIFY_TCB_MISMATCH',
      `${leaf.what} SPLs differ from REPORTED_TCB in ${wrong.join(', ')}`,
      { components: wrong, certificate: ext.spl, reported_tcb: reported }));
  }
  if (signedBy === 'vcek') {
    failures.push(...hwidFailures(ext.hwid, report.chip_id.subarray(0, info.hwidBytes)));
  }
  const named = productOfName(ext.productName);
  if (ext.productName !== undefined && named !== product) {
    failures.push(failure('VERIFY_PRODUCT_MISMATCH',
      `${leaf.what} productName '${ext.productName}' is not ${product}`,
      { productName: ext.productName, product }));
  }
  const leafKind = ext.cspId !== undefined || leaf.subjectCn === 'SEV-VLEK' ? 'vlek' : 'vcek';
  if (leafKind !== signedBy) {
    const message = `KEY_INFO says ${signedBy.toUpperCase()} ` +
      `but the certificate is a ${leafKind.toUpperCase()}`;
    failures.push(failure('VERIFY_SIGNING_KEY', message,
      { keyInfo: signedBy, certificate: leafKind }));
  }
  assert(wrong.every((c) => ext.spl[c] !== reported[c]));
  return failures;
}

function hwidFailures(hwid: Uint8Array | undefined, expected: Uint8Array): VerifyFailure[] {
  if (hwid !== undefined && bytesEqual(hwid, expected)) return [];
  const message = hwid === undefined ? 'VCEK has no hwid extension'
    : `VCEK hwid (${hwid.length} bytes) differs from the first ${expected.length} bytes of CHIP_ID`;
  return [failure('VERIFY_HWID_MISMATCH', message,
    { hwid: hwid === undefined ? null : toHex(hwid), chip_id: toHex(expected) })];
}

/**
 * The report's R and S (LE72 at 0x2A0 and 0x2E8, spec snp.md a.2) as IEEE-P1363 r||s, or
 * undefined when either does not fit in 48 bytes (then it is no P-384 signature).
 */
function signatureP1363(bytes: Uint8Array): Uint8Array | undefined {
  const at = (name: 'signature_r' | 'signature_s'): Uint8Array | undefined => {
    const field = fieldOf(ATTESTATION_REPORT, name);
    return fromLE72(bytes.subarray(field.offsetBytes, field.offsetBytes + field.sizeBytes), 48);
  };
  const r = at('signature_r');
  const s = at('signature_s');
  if (r === undefined || s === undefined) return undefined;
  assert(r.length === 48 && s.length === 48, 'P-384 scalars are 48 bytes');
  return concatBytes(r, s);
}

/** Layer 2c: ECDSA P-384 / SHA-384 over [0x000, 0x2A0) with a cached KeyObject. */
function checkSignature(bytes: Uint8Array, leaf: ParsedCertificate): VerifyFailure[] {
  const keyProblem = p384Problem(leaf);
  if (keyProblem !== undefined) {
    return [failure('VERIFY_BAD_SIGNATURE', keyProblem, { certificate: leaf.what })];
  }
  const p1363 = signatureP1363(bytes);
  if (p1363 === undefined) {
    const message = 'R or S does not fit in 48 bytes (non-zero high bytes of an LE72 field)';
    return [failure('VERIFY_BAD_SIGNATURE', message, {})];
  }
  assert(p1363.length === 96, 'P-384 r||s');
  // ~1 ms per ECDSA verify: memoised by the content of everything it reads (spec perf-notes.md).
  const span = signedSpan(bytes);
  const id = `${leaf.digest}:${createHash('sha256').update(span).update(p1363).digest('hex')}`;
  const ok = memo('verifier.report-signature', id, () => cryptoVerify('sha384', span,
    { key: publicKeyOf(leaf.spkiDer), dsaEncoding: 'ieee-p1363' }, p1363), 4096);
  if (ok) return [];
  const message = `report signature does not verify under the ${leaf.what.toUpperCase()} key`;
  return [failure('VERIFY_BAD_SIGNATURE', message, { certificate: leaf.what })];
}

/**
 * KEY_INFO.SIGNING_KEY and the matching leaf certificate, or the failure that stops
 * verification.
 */
function signerOf(report: AttestationReport, certs: EvidenceCertificates):
  { signedBy: 'vcek' | 'vlek'; leafBytes: Uint8Array } | VerifyFailure {
  const keyInfo = decodeKeyInfo(report.key_info);
  const signedBy = SIGNING_KEYS[keyInfo.signing_key];
  if (signedBy === undefined) {
    return failure('VERIFY_SIGNING_KEY',
      `KEY_INFO.SIGNING_KEY ${keyInfo.signing_key} is neither VCEK (0) nor VLEK (1)`,
      { signing_key: keyInfo.signing_key });
  }
  const leafBytes = certs[signedBy];
  if (leafBytes === undefined) {
    const other = signedBy === 'vcek' ? 'vlek' : 'vcek';
    const name = signedBy.toUpperCase();
    const only = certs[other] === undefined ? '' : ` (only a ${other.toUpperCase()})`;
    return failure('VERIFY_SIGNING_KEY',
      `report is signed by its ${name} but no ${name} certificate was supplied${only}`,
      { signedBy });
  }
  return { signedBy, leafBytes };
}

/**
 * Verifies a report against its certificates and appraises it. Throws SimError only for
 * undecodable input.
 */
export function verifyAttestationReport(bytes: Uint8Array, certs: EvidenceCertificates,
  options: VerifyReportOptions): ReportVerdict {
  const { report, failures } = checkReportBytes(bytes, options.strictReserved ?? true,
    options.product);
  const signer = signerOf(report, certs);
  if ('code' in signer) {
    // A reserved SIGNING_KEY is already listed by the ABI rules; do not say it twice.
    const repeated = failures.some((f) =>
      f.code === signer.code && f.detail['field'] === 'key_info');
    return finish(repeated ? failures : [...failures, signer]);
  }
  const { signedBy } = signer;
  const leaf = parseCertificate(signer.leafBytes, signedBy);
  const { product, failures: productFailures } = resolveProduct(report, leaf, options.product);
  failures.push(...productFailures);
  if (product === undefined) {
    return finish([...failures, ...checkSignature(bytes, leaf)]); // still list every failure
  }
  const chain = checkChain(leaf, signedBy, product, certs, options);
  failures.push(...chain.failures);
  if (chain.ark !== undefined && chain.intermediate !== undefined) {
    failures.push(...checkCrl(options.crl, chain.ark, chain.intermediate, options.at));
  } else if (options.crl !== undefined) {
    failures.push(failure('VERIFY_BAD_CRL',
      'CRL not checked: no trusted ARK to verify it with', {}));

  }
  failures.push(...checkLeafExtensions(leaf, report, product, signedBy));
  failures.push(...checkSignature(bytes, leaf));
  failures.push(...appraiseReport(report, product, signedBy, options.appraisal));
  return finish(failures, {
    product, version: report.version, signedBy, validityChecked: options.at !== undefined,
    trustAnchor: chain.anchor?.source ?? 'none', vmpl: report.vmpl,
    policy: `0x${report.policy.toString(16)}`,
    measurement: toHex(report.measurement), host_data: toHex(report.host_data),
    report_data: toHex(report.report_data), chip_id: toHex(report.chip_id),
    reported_tcb: tcbComponentsOf(decodeTcb(report.reported_tcb, PRODUCTS[product].tcbLayout),
      PRODUCTS[product].tcbLayout),
    platform_info: `0x${report.platform_info.toString(16)}`,
  });
}

/** ok only with claims and no failure; an early stop always carries its reason. */
function finish(failures: readonly VerifyFailure[], claims?: ReportClaims): ReportVerdict {
  if (claims === undefined) assert(failures.length > 0, 'an early stop always has a reason');
  const verdict: ReportVerdict = claims === undefined
    ? { ok: false, failures }
    : { ok: failures.length === 0, failures, claims };
  assert(verdict.ok === (failures.length === 0 && claims !== undefined));
  return Object.freeze(verdict);
}

/**
 * The product a report names by itself (CPUID, VERSION >= 3), else `fallback`. For choosing a TCB
 * layout before verification (e.g. to read a `--min-tcb` text); never a trust decision.
 */
export function productHint(bytes: Uint8Array, fallback?: Product): Product | undefined {
  if (bytes.length !== REPORT_BYTES) return fallback;
  const version = bytes[0]! | (bytes[1]! << 8);
  if (version < 3) return fallback;
  const family = fieldOf(ATTESTATION_REPORT, 'cpuid_fam_id').offsetBytes;
  return productFromCpuid(bytes[family]!, bytes[family + 1]!) ?? fallback;
}

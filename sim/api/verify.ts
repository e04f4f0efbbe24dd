/**
 * Models: nothing real. The relying-party face of the public API, re-exported in full by
 * sim/index.ts: decode and show a report, read certificates, verify and appraise. `parma-sim snp
 * verify` and `snp show` import this instead of sim/index.ts, so a verification does not load the
 * fake firmware, the issuer or the policy engine (start-up time; spec perf-notes.md "Startup").
 */

/** PEM ↔ DER for certificates and CRLs. */
export { fromPem, toPem } from '../../models/snp/pem.js';
/** The products (Milan, Genoa, Turin): CPUID ranges, TCB layout, HWID length; name parsing. */
export {
  PRODUCTS, PRODUCT_NAMES, parseProduct, type Product, type ProductInfo, type TcbLayout,
} from '../../models/snp/product.js';
/** TCB_VERSION in both layouts: u64 ↔ components, and the components a layout has. */
export {
  TCB_COMPONENTS, componentsOf, decodeTcb, encodeTcb, tcbAtLeast, tcbComponentsOf, type TcbParts,
} from '../../models/snp/tcb-version.js';
/** TCB text (`bl=3,tee=0,snp=8,ucode=115`, a raw u64, an Azure tcbm) → TCB_VERSION. */
export { parseTcbText } from '../../models/snp/tcb-text.js';
/** A report as JSON: every field, TCBs by layout, bits by name. */
export {
  reportView, reportJson, reportProduct, type ReportViewOptions,
} from '../../models/snp/report-view.js';
/** Appraisal of a verified report against a relying party's expectations. */
export {
  POLICY_FLAG_NAMES, appraiseReport, type AppraisalOptions, type PolicyFlag,
} from '../../models/verifier/appraisal.js';
/** X.509 certificate parsing as the verifier does it (DER or PEM; SNP_BAD_CERT otherwise). */
export { parseCertificate, type ParsedCertificate } from '../../models/verifier/certificate.js';
/** Report + chain verification; the product a report names; the product of a certificate name. */
export {
  verifyAttestationReport, productHint, productOfName, type EvidenceCertificates,
  type VerifyReportOptions, type ReportVerdict, type ReportClaims,
} from '../../models/verifier/report-verifier.js';
/** Pinned trust anchors: AMD's real roots, parma-sim's TEST-ONLY roots, or a given ARK. */
export {
  amdTrustAnchors, parmaSimTestAnchors, trustAnchorFromArk, type TrustAnchor,
} from '../../models/verifier/trust-anchors.js';

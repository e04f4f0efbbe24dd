/**
 * Models: nothing real. The one catalogue of stable error codes, `AREA_REASON`.
 * Codes are never renamed or reused: tests, scripts and users match on them. Each area has its own
 * block; add new codes at the end of the block for your area.
 */

export const SNP_ERROR_CODES = [
  'SNP_BAD_LENGTH',          // a structure has the wrong byte length
  'SNP_MBZ_NONZERO',         // a must-be-zero field or bit is set
  'SNP_UNKNOWN_VERSION',     // a structure version this model does not know
  'SNP_BAD_FIELD',           // a field value out of its documented range
  'SNP_BAD_PRODUCT',         // unknown or inconsistent product (Milan/Genoa/Turin)
  'SNP_FIRMWARE_STATUS',     // a firmware command returned a non-zero AMD status (detail.status)
  'SNP_BAD_CERT',            // a certificate or CRL that cannot be decoded
  'SNP_BAD_KEY',             // a key that cannot be decoded or is not on the expected curve
] as const;

export const HV_ERROR_CODES = [
  'HV_BAD_OVMF',             // OVMF image without the footer table / metadata we need
  'HV_BAD_LAUNCH_INPUT',     // launch inputs the hypervisor cannot use
                             // (e.g. kernel without hashes table)
  'HV_BAD_VCPU',             // unknown vCPU type or impossible signature
  'HV_BAD_MEMORY_REQUEST',   // a memory operation on a page the VM does not have, or a byte range
                             // outside one 4 KiB page
] as const;

export const HOST_ERROR_CODES = [
  'HOST_BAD_INPUT',
] as const;

export const GUEST_ERROR_CODES = [
  'GUEST_BAD_MESSAGE',
  'GUEST_VERITY_BAD_PARAMS',       // dm-verity parameters veritysetup or the kernel refuse
                                   // (block size, hash algorithm, hash type, salt, offsets)
  'GUEST_VERITY_BAD_SUPERBLOCK',   // no usable dm-verity superblock where the device must have one
  'GUEST_VERITY_DEVICE_TOO_SMALL', // a data or hash device shorter than its parameters need
  'GUEST_VERITY_READ_ERROR',       // a verified read met a hash that does not match on the path
                                   // to the root hash (the kernel's EIO): never wrong data
  'GUEST_LAYER_BAD_HEADER',        // a layer image whose header block cannot be used
  'GUEST_LAYER_BAD_ENTRY',         // a layer entry with a bad kind, mode, range or reserved byte
  'GUEST_LAYER_BAD_PATH',          // a layer path that is not canonical, sorted, unique, or under a
                                   // directory
  'GUEST_LAYER_NO_SUCH_FILE',      // a path that is not a regular file in the layer
  'GUEST_SCRATCH_INTEGRITY',       // a scratch block fails authentication: tampered, swapped,
                                   // replayed or withheld
  'GUEST_SCRATCH_BAD_BLOCK',       // a scratch block index outside the device
] as const;

export const POLICY_ERROR_CODES = [
  'POLICY_PARSE',            // policy text that cannot be imported (detail.line, detail.column)
  'POLICY_UNSUPPORTED',      // a construct recognised but deliberately not supported
                             // (e.g. a template)
  'POLICY_BAD_REGEX',        // a pattern RE2 would reject, or that cannot be compiled
  'POLICY_BAD_INPUT',        // an enforcement-point input of the wrong shape
  'POLICY_UNKNOWN_RULE',     // a rule name that is not an enforcement point
  'POLICY_BAD_FRAGMENT',     // a fragment envelope that cannot be decoded or verified
  'POLICY_FRAGMENT_BAD_SIGNATURE',     // COSE_Sign1 signature does not verify under the
                                       // x5chain leaf
  'POLICY_FRAGMENT_BAD_CHAIN',         // x5chain: a certificate is not signed by the next one
  'POLICY_FRAGMENT_MISSING_ISSUER',    // protected header has no issuer (iss)
  'POLICY_FRAGMENT_MISSING_FEED',      // protected header has no feed
  'POLICY_FRAGMENT_BAD_ISSUER',        // issuer is not a well-formed did:x509,
                                       // or not the expected one
  'POLICY_FRAGMENT_BAD_FEED',          // feed is not the expected one
  'POLICY_FRAGMENT_DID_MISMATCH',      // issuer did:x509 does not resolve against the x5chain
  'POLICY_FRAGMENT_BAD_PACKAGE',       // first line is not exactly `package <identifier>`
  'POLICY_FRAGMENT_RESERVED_NAMESPACE', // package framework / api / policy / metadata
  // The four SVN codes below are no longer produced: SVN failures are load_fragment denials
  // carrying framework.rego's reason strings. They stay listed so they are never reused.
  'POLICY_FRAGMENT_SVN_TYPE',          // svn and minimum_svn are different types
                                       // (semver vs integer)
  'POLICY_FRAGMENT_SVN_TOO_LOW',       // svn below minimum_svn
  'POLICY_FRAGMENT_SVN_MISMATCH',      // header svn differs from the fragment's svn
  'POLICY_FRAGMENT_SVN_MISSING',       // the fragment declares no svn
  'POLICY_BAD_METADATA',               // policy metadata (e.g. --metadata) of the wrong shape
                                       // (detail.path names the JSON path)
] as const;

export const VERIFY_ERROR_CODES = [
  'VERIFY_BAD_SIGNATURE',    // the report signature does not verify under the endorsement key
  'VERIFY_BAD_CHAIN',        // a certificate in the chain does not verify under its issuer
  'VERIFY_UNTRUSTED_ROOT',   // the ARK is not one of the pinned trust anchors
  'VERIFY_REVOKED',          // a certificate serial is on a verified CRL
  'VERIFY_BAD_CRL',          // the CRL does not parse or does not verify under the ARK
  'VERIFY_TCB_MISMATCH',     // endorsement-key SPL extensions differ from REPORTED_TCB
  'VERIFY_HWID_MISMATCH',    // HWID extension differs from CHIP_ID
  'VERIFY_PRODUCT_MISMATCH', // certificate product differs from the report's product
  'VERIFY_SIGNING_KEY',      // VCEK/VLEK choice not allowed, or signer cert of the wrong kind
  'VERIFY_MEASUREMENT',      // appraisal: measurement differs from the expected one
  'VERIFY_HOST_DATA',        // appraisal: host_data differs
  'VERIFY_REPORT_DATA',      // appraisal: report_data differs
  'VERIFY_POLICY',           // appraisal: a forbidden guest-policy bit is set
  'VERIFY_TCB_TOO_LOW',      // appraisal: a TCB component below the minimum
  'VERIFY_VMPL',             // appraisal: VMPL above the maximum
  'VERIFY_RESERVED',         // appraisal (strict): a reserved byte is non-zero
  'VERIFY_EXPIRED',          // a certificate is outside its validity at the verification time
  'VERIFY_SIGNATURE_ALGO',   // SIGNATURE_ALGO is not 1 (ECDSA P-384 SHA-384), signed or not
  'VERIFY_BAD_FIELD',        // a report field outside its ABI range (e.g. VMPL above 3)
  'VERIFY_BAD_EVIDENCE',     // token service: an attestation request that cannot be decoded
                             // (body shape, base64url, PEM chain, report length)
  'VERIFY_RUNTIME_DATA',     // token service / key broker: runtime data that is not a JSON object
                             // with a usable RSA public key
  'VERIFY_BAD_TOKEN',        // a JWT that cannot be decoded or uses an algorithm other than RS256
  'VERIFY_TOKEN_SIGNATURE',  // a JWT whose signature does not verify under the authority's JWKS
  'VERIFY_TOKEN_ISSUER',     // a JWT from an issuer no release-policy authority names
  'VERIFY_TOKEN_TIME',       // a JWT outside its nbf..exp window at the broker's time
  'VERIFY_RELEASE_POLICY',   // key broker: a release-policy claim condition is not met
  'VERIFY_NONCE',            // key broker: the runtime nonce was never issued or was already used
  'VERIFY_KEY_RELEASE',      // key broker: no such key, not exportable, or an unknown wrapping
                             // algorithm
  'VERIFY_BAD_RELEASE_POLICY', // a release policy document that does not have the AKV shape
] as const;

export const SIM_ERROR_CODES = [
  'SIM_USAGE',               // bad command-line arguments
  'SIM_IO',                  // a file that cannot be read or written
  'SIM_LIMIT_EXCEEDED',      // a bounded loop, queue or search went past its limit
  'SIM_BAD_SEED',            // a seed that is not a non-negative integer or string
  'SIM_BAD_REQUEST',         // a malformed HTTP request
  'SIM_BAD_STATE',           // a value the canonical state codec cannot represent, or bytes
                             // that are not a canonical state encoding
  'SIM_NOT_FOUND',           // an HTTP request for a route or resource the fake backend lacks
  'SIM_METHOD_NOT_ALLOWED',  // an HTTP method the route does not serve (detail.allow)
  'SIM_PAYLOAD_TOO_LARGE',   // an HTTP request body above the server's limit
  'SIM_BAD_TRACE',           // a trace (JSONL) that does not parse: malformed input, not usage
  'SIM_BAD_RESULT',          // a `check` result file that is not a campaign result (malformed)
] as const;

export type SimErrorCode =
  | (typeof SNP_ERROR_CODES)[number]
  | (typeof HV_ERROR_CODES)[number]
  | (typeof HOST_ERROR_CODES)[number]
  | (typeof GUEST_ERROR_CODES)[number]
  | (typeof POLICY_ERROR_CODES)[number]
  | (typeof VERIFY_ERROR_CODES)[number]
  | (typeof SIM_ERROR_CODES)[number];

/** Every code of every area, in block order. */
export const ERROR_CODES: readonly SimErrorCode[] = [
  ...SNP_ERROR_CODES, ...HV_ERROR_CODES, ...HOST_ERROR_CODES, ...GUEST_ERROR_CODES,
  ...POLICY_ERROR_CODES, ...VERIFY_ERROR_CODES, ...SIM_ERROR_CODES,
];

export type ErrorArea = 'SNP' | 'HV' | 'HOST' | 'GUEST' | 'POLICY' | 'VERIFY' | 'SIM';

/** Bad input, a refused operation or a failed verification: never a bug in parma-sim. */
export class SimError extends Error {
  override readonly name = 'SimError';
  constructor(
    readonly code: SimErrorCode,
    readonly detail: Readonly<Record<string, unknown>> = {},
    message?: string,
  ) {
    super(message === undefined ? `${code} ${safeJson(detail)}` : `${code}: ${message}`);
  }

  get area(): ErrorArea {
    return this.code.slice(0, this.code.indexOf('_')) as ErrorArea;
  }

  toJSON(): { code: SimErrorCode; message: string; detail: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, detail: this.detail };
  }
}

function safeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint' ? `0x${v.toString(16)}`
      : v instanceof Uint8Array ? `<${v.length} bytes>`
      : v);
}

/**
 * True for what a library throws on bad input it was handed: a SimError of ours, a plain `Error`
 * (@noble, node's GCM tag check) or a Node error carrying a `code` (ERR_INVALID_URL,
 * ERR_OSSL_*, ERR_ENCODING_INVALID_ENCODED_DATA). False for our own bugs: an AssertionError, or a
 * TypeError / RangeError without a code. A catch around a library call turns only the former into
 * a refusal and rethrows the rest, so a bug never becomes an ordinary "no".
 */
export function isInputRefusal(error: unknown): boolean {
  if (error instanceof SimError) return true;
  if (!(error instanceof Error) || error.name === 'AssertionError') return false;
  return typeof (error as { code?: unknown }).code === 'string' || error.constructor === Error;
}

/** Runs `fn` and returns the SimError code it throws, or undefined. For tests. */
export function errorCode(fn: () => unknown): SimErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof SimError) return error.code;
    throw error;
  }
  return undefined;
}

/**
 * Process exit codes, the README's table. One table for every command (`measure` keeps
 * sev-snp-measure's own 0/1/2 instead).
 *  0 success / accepted / allowed
 *  2 usage error (a bad flag, or a bad flag value)
 * 10 a well-formed input failed its check (report rejected, request denied, firmware refused)
 * 30 malformed input (cannot decode a report, certificate, policy, message, JSON)
 * 40 a file could not be read or written
 * 70 internal error (an assertion failed: a parma-sim bug)
 */
export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
export const EXIT_REJECTED = 10;
export const EXIT_MALFORMED = 30;
export const EXIT_IO = 40;
export const EXIT_INTERNAL = 70;

export type ExitCode =
  | typeof EXIT_OK | typeof EXIT_USAGE | typeof EXIT_REJECTED | typeof EXIT_MALFORMED
  | typeof EXIT_IO | typeof EXIT_INTERNAL;

/**
 * The exit code of each error code. Keyed by code, not by area: an area holds both malformed
 * input (POLICY_PARSE) and well-formed input that failed its check (POLICY_FRAGMENT_BAD_FEED).
 * A new code must get a row here (the Record type makes a missing one a build error).
 * A command maps a model's error to SIM_USAGE itself when the bad value came from a flag (the
 * model cannot know that), naming the flag as the user typed it.
 */
export const EXIT_CODE_BY_ERROR: Readonly<Record<SimErrorCode, ExitCode>> = {
  SNP_BAD_LENGTH: EXIT_MALFORMED,
  SNP_MBZ_NONZERO: EXIT_MALFORMED,
  SNP_UNKNOWN_VERSION: EXIT_MALFORMED,
  SNP_BAD_FIELD: EXIT_MALFORMED,
  SNP_BAD_PRODUCT: EXIT_MALFORMED,
  SNP_FIRMWARE_STATUS: EXIT_REJECTED,         // the firmware refused a well-formed request
  SNP_BAD_CERT: EXIT_MALFORMED,
  SNP_BAD_KEY: EXIT_MALFORMED,
  HV_BAD_OVMF: EXIT_MALFORMED,
  HV_BAD_LAUNCH_INPUT: EXIT_MALFORMED,
  HV_BAD_VCPU: EXIT_MALFORMED,
  HV_BAD_MEMORY_REQUEST: EXIT_MALFORMED,
  HOST_BAD_INPUT: EXIT_MALFORMED,
  GUEST_BAD_MESSAGE: EXIT_MALFORMED,
  GUEST_VERITY_BAD_PARAMS: EXIT_MALFORMED,
  GUEST_VERITY_BAD_SUPERBLOCK: EXIT_MALFORMED,
  GUEST_VERITY_DEVICE_TOO_SMALL: EXIT_MALFORMED,
  // A device that decodes but whose blocks fail their hash, or a scratch block that fails its
  // authentication: well-formed input that failed its check.
  GUEST_VERITY_READ_ERROR: EXIT_REJECTED,
  GUEST_LAYER_BAD_HEADER: EXIT_MALFORMED,
  GUEST_LAYER_BAD_ENTRY: EXIT_MALFORMED,
  GUEST_LAYER_BAD_PATH: EXIT_MALFORMED,
  GUEST_LAYER_NO_SUCH_FILE: EXIT_MALFORMED,
  GUEST_SCRATCH_INTEGRITY: EXIT_REJECTED,
  GUEST_SCRATCH_BAD_BLOCK: EXIT_MALFORMED,
  POLICY_PARSE: EXIT_MALFORMED,
  POLICY_UNSUPPORTED: EXIT_MALFORMED,
  POLICY_BAD_REGEX: EXIT_MALFORMED,
  POLICY_BAD_INPUT: EXIT_MALFORMED,
  POLICY_UNKNOWN_RULE: EXIT_MALFORMED,        // in a commands file; `--rule` makes it SIM_USAGE
  POLICY_BAD_FRAGMENT: EXIT_MALFORMED,        // an envelope that does not decode
  // A fragment envelope that decodes but fails a check was rejected, not malformed.
  POLICY_FRAGMENT_BAD_SIGNATURE: EXIT_REJECTED,
  POLICY_FRAGMENT_BAD_CHAIN: EXIT_REJECTED,
  POLICY_FRAGMENT_MISSING_ISSUER: EXIT_REJECTED,
  POLICY_FRAGMENT_MISSING_FEED: EXIT_REJECTED,
  POLICY_FRAGMENT_BAD_ISSUER: EXIT_REJECTED,
  POLICY_FRAGMENT_BAD_FEED: EXIT_REJECTED,
  POLICY_FRAGMENT_DID_MISMATCH: EXIT_REJECTED,
  POLICY_FRAGMENT_BAD_PACKAGE: EXIT_REJECTED,
  POLICY_FRAGMENT_RESERVED_NAMESPACE: EXIT_REJECTED,
  POLICY_FRAGMENT_SVN_TYPE: EXIT_REJECTED,
  POLICY_FRAGMENT_SVN_TOO_LOW: EXIT_REJECTED,
  POLICY_FRAGMENT_SVN_MISMATCH: EXIT_REJECTED,
  POLICY_FRAGMENT_SVN_MISSING: EXIT_REJECTED,
  POLICY_BAD_METADATA: EXIT_MALFORMED,
  VERIFY_BAD_SIGNATURE: EXIT_REJECTED,
  VERIFY_BAD_CHAIN: EXIT_REJECTED,
  VERIFY_UNTRUSTED_ROOT: EXIT_REJECTED,
  VERIFY_REVOKED: EXIT_REJECTED,
  VERIFY_BAD_CRL: EXIT_REJECTED,
  VERIFY_TCB_MISMATCH: EXIT_REJECTED,
  VERIFY_HWID_MISMATCH: EXIT_REJECTED,
  VERIFY_PRODUCT_MISMATCH: EXIT_REJECTED,
  VERIFY_SIGNING_KEY: EXIT_REJECTED,
  VERIFY_MEASUREMENT: EXIT_REJECTED,
  VERIFY_HOST_DATA: EXIT_REJECTED,
  VERIFY_REPORT_DATA: EXIT_REJECTED,
  VERIFY_POLICY: EXIT_REJECTED,
  VERIFY_TCB_TOO_LOW: EXIT_REJECTED,
  VERIFY_VMPL: EXIT_REJECTED,
  VERIFY_RESERVED: EXIT_REJECTED,
  VERIFY_EXPIRED: EXIT_REJECTED,
  VERIFY_SIGNATURE_ALGO: EXIT_REJECTED,
  VERIFY_BAD_FIELD: EXIT_REJECTED,
  // Token service and key broker: what does not decode is malformed; what decodes and fails a
  // check (signature, issuer, time, claims, nonce, release) is rejected.
  VERIFY_BAD_EVIDENCE: EXIT_MALFORMED,
  VERIFY_RUNTIME_DATA: EXIT_MALFORMED,
  VERIFY_BAD_TOKEN: EXIT_MALFORMED,
  VERIFY_TOKEN_SIGNATURE: EXIT_REJECTED,
  VERIFY_TOKEN_ISSUER: EXIT_REJECTED,
  VERIFY_TOKEN_TIME: EXIT_REJECTED,
  VERIFY_RELEASE_POLICY: EXIT_REJECTED,
  VERIFY_NONCE: EXIT_REJECTED,
  VERIFY_KEY_RELEASE: EXIT_REJECTED,
  VERIFY_BAD_RELEASE_POLICY: EXIT_MALFORMED,
  SIM_USAGE: EXIT_USAGE,
  SIM_IO: EXIT_IO,
  // Input so large it goes past a bound (a PEM bundle of 65 certificates, a commands file of a
  // million calls) is malformed input, not a usage error.
  SIM_LIMIT_EXCEEDED: EXIT_MALFORMED,
  SIM_BAD_SEED: EXIT_USAGE,                   // seeds come from --seed
  SIM_BAD_REQUEST: EXIT_MALFORMED,
  SIM_BAD_STATE: EXIT_MALFORMED,              // a state or snapshot that does not decode
  // HTTP-only codes (the server answers 404 / 405 / 413); a CLI meeting one got bad input.
  SIM_NOT_FOUND: EXIT_MALFORMED,
  SIM_METHOD_NOT_ALLOWED: EXIT_MALFORMED,
  SIM_PAYLOAD_TOO_LARGE: EXIT_MALFORMED,
  SIM_BAD_TRACE: EXIT_MALFORMED,
  SIM_BAD_RESULT: EXIT_MALFORMED,
};

/** The process exit code for anything a command threw: a SimError's row, else 70. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!(error instanceof SimError)) return EXIT_INTERNAL;
  const code = EXIT_CODE_BY_ERROR[error.code];
  // A code outside the table can only come from a cast: a parma-sim bug.
  return code === undefined ? EXIT_INTERNAL : code;
}

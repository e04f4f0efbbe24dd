/**
 * Models: how a security policy reaches the guest and what binds it to attestation: the host sends
 * `EncodedSecurityPolicy` (base64 of the policy bytes; ARM templates carry the same base64 in
 * `properties.confidentialComputeProperties.ccePolicy`), the GCS decodes it and requires
 * SHA-256(decoded bytes) == HOST_DATA of the SNP report (shared/testdata/policies/SOURCES.md).
 * Real counterpart: hcsshim pkg/securitypolicy NewSecurityPolicyDigest and createRegoEnforcer
 * (base64 → Rego or legacy JSON); az confcom writing ccePolicy into an ARM template.
 * Differs: also accepts the raw policy bytes (a .rego or .json file) and parma-sim's native JSON;
 * the input kind is detected from the bytes, never from a file name.
 * Invariants: digestHex = SHA-256 of exactly LoadedPolicy.bytes, the decoded policy (never of the
 * base64 text or of the template); decoding is at most two levels deep (template → base64 →
 * policy).
 */
import { isUtf8 } from 'node:buffer';
import { sha256 } from '@noble/hashes/sha2.js';
import { assert } from '../../sim/kernel/assert.js';
import { toHex } from '../../sim/kernel/bytes.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { LoadedPolicy, SecurityPolicy } from './policy-model.js';
import { importRegoPolicy, rejectTemplate } from './import-rego.js';
import { importLegacyJsonPolicy, isLegacyJsonPolicy } from './import-legacy-json.js';
import { importNativeJsonPolicy, isNativeJsonPolicy } from './import-native-json.js';
import { field, type ObjectNode } from './policy-fields.js';
import { parseJsonText, syntaxError, type ValueNode } from './policy-syntax.js';

/** How the policy bytes were wrapped in the input. */
export type PolicyEncoding = 'raw' | 'base64' | 'arm-template';

export type DecodedPolicyBytes = Readonly<{ bytes: Uint8Array; encoding: PolicyEncoding }>;

export function securityPolicyDigestHex(policyBytes: Uint8Array): string {
  const digest = toHex(sha256(policyBytes));
  assert(digest.length === 64);
  return digest;
}

/** Unwraps base64 text or an ARM template to the policy bytes whose SHA-256 is HOST_DATA. */
export function decodePolicyBytes(input: Uint8Array): DecodedPolicyBytes {
  // Bytes that are not text cannot be wrapped; they are hashed as they are (importing them fails).
  if (!isUtf8(input)) return { bytes: input, encoding: 'raw' };
  const text = decodeUtf8(input);
  const trimmed = text.trim();
  if (looksLikeBase64(trimmed)) {
    const decoded = decodeBase64(trimmed, 'the input');
    assert(decoded.length < input.length);
    return { bytes: decoded, encoding: 'base64' };
  }
  if (trimmed.startsWith('{')) {
    const root = parseJsonText(text);
    assert(root.kind === 'object');   // one JSON value that starts with '{'
    if (isArmTemplate(root)) {
      const ccePolicy = findCcePolicy(root);
      const decoded = decodeBase64(ccePolicy.value.replace(/\s/g, ''),
        `ccePolicy at ${ccePolicy.line}:${ccePolicy.column}`);
      assert(decoded.length < input.length);
      return { bytes: decoded, encoding: 'arm-template' };
    }
  }
  return { bytes: input, encoding: 'raw' };
}

/** Decodes (if wrapped), imports and digests a policy. */
export function loadSecurityPolicy(input: Uint8Array): LoadedPolicy
    & Readonly<{ encoding: PolicyEncoding }> {
  const decoded = decodePolicyBytes(input);
  const policy = importSecurityPolicy(decoded.bytes);
  const loaded = { policy, bytes: decoded.bytes, digestHex: securityPolicyDigestHex(decoded.bytes),
    encoding: decoded.encoding };
  assert(decoded.encoding !== 'raw' || loaded.bytes === input);
  assert(loaded.digestHex.length === 64);
  return loaded;
}

/** Imports policy bytes (already unwrapped): Rego, legacy JSON or native JSON. */
export function importSecurityPolicy(policyBytes: Uint8Array): SecurityPolicy {
  const text = decodeUtf8(policyBytes);
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return importRegoPolicy(text);
  rejectTemplate(text);
  const root = parseJsonText(text);
  if (root.kind !== 'object') {
    syntaxError(root.pos, 'a JSON policy is an object; this JSON document is not a policy');
  }
  if (isNativeJsonPolicy(root)) return importNativeJsonPolicy(root);
  if (isLegacyJsonPolicy(root)) return importLegacyJsonPolicy(root);
  if (isArmTemplate(root)) {
    throw new SimError('POLICY_UNSUPPORTED', { line: root.pos.line, column: root.pos.column,
      construct: 'nested template' },
      `${root.pos.line}:${root.pos.column}: an ARM template inside a ccePolicy is not a policy`);
  }
  return syntaxError(root.pos,
    'a JSON document that is none of: a legacy JSON policy ({"allow_all", "containers"}), ' +
    'an ARM template with a ccePolicy, parma-sim native JSON (`policy show` output)');
}

/** UTF-8 (the default encoding); only used on bytes isUtf8 (node:buffer) accepted. */
const UTF8_DECODER = new TextDecoder();

/**
 * UTF-8 text without its byte-order mark (the decoder drops one leading U+FEFF, as WHATWG "UTF-8
 * decode" does), or POLICY_PARSE at the line:column of the first bad byte.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8Offset(bytes);
    const before = UTF8_DECODER.decode(bytes.subarray(0, offset));
    const lines = before.split('\n');
    const line = lines.length;
    const column = lines[lines.length - 1]!.length + 1;
    throw new SimError('POLICY_PARSE', { line, column, offset, byte: bytes[offset] },
      `${line}:${column}: not UTF-8 text (byte `
        + `0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')} at offset ${offset}); a policy `
          + `is Rego or JSON text`);
  }
  return UTF8_DECODER.decode(bytes);
}

/** Offset of the first byte that does not begin or continue a valid UTF-8 sequence. */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const need = lead < 0x80 ? 0 : lead >= 0xc2 && lead < 0xe0 ? 1 : lead >= 0xe0 && lead < 0xf0
      ? 2 : lead >= 0xf0 && lead < 0xf5 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      // Past the end there is no continuation byte: 0 is not one either.
      if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  // isUtf8 also rejects overlong and surrogate forms, which this scan passes; point at the start.
  return 0;
}

const BASE64_TEXT = /^[A-Za-z0-9+/]+={0,2}$/;

/** Base64 as the GCS accepts it (Go StdEncoding, which skips CR and LF). */
function looksLikeBase64(text: string): boolean {
  const compact = text.replace(/[\r\n]/g, '');
  // At least one base64 character and a multiple of 4: four or more.
  return compact.length % 4 === 0 && BASE64_TEXT.test(compact);
}

function decodeBase64(text: string, what: string): Uint8Array {
  const compact = text.replace(/[\r\n]/g, '');
  if (!looksLikeBase64(compact)) {
    throw new SimError('POLICY_PARSE', { line: 1, column: 1, what },
      `1:1: ${what} is not standard base64`);
  }
  const bytes = new Uint8Array(Buffer.from(compact, 'base64'));
  if (Buffer.from(bytes).toString('base64') !== compact) {
    throw new SimError('POLICY_PARSE', { line: 1, column: 1, what },
      `1:1: ${what} is not canonical standard base64`);
  }
  assert(bytes.length <= (compact.length / 4) * 3);
  return bytes;
}

function isArmTemplate(root: ObjectNode): boolean {
  return field(root, 'resources') !== undefined || field(root, '$schema') !== undefined;
}

type Located = Readonly<{ value: string; line: number; column: number }>;

/**
 * The one ccePolicy string of an ARM template (every `ccePolicy` key, at any depth; the parser
 * bounds the depth at MAX_NESTING_DEPTH, so the recursion is bounded too).
 */
function findCcePolicy(root: ValueNode): Located {
  const found: Located[] = [];
  const visit = (node: ValueNode): void => {
    if (node.kind === 'array') node.items.forEach(visit);
    if (node.kind !== 'object') return;
    for (const entry of node.entries) {
      if (entry.key === 'ccePolicy') {
        if (entry.value.kind !== 'string') {
          syntaxError(entry.value.pos, 'ccePolicy must be a string');
        }
        found.push({ value: entry.value.value, line: entry.value.pos.line,
          column: entry.value.pos.column });
      } else {
        visit(entry.value);
      }
    }
  };
  visit(root);
  if (found.length === 0) {
    syntaxError(root.pos, 'an ARM template without a ccePolicy '
      + '(resources[].properties.confidentialComputeProperties.ccePolicy)');
  }
  const distinct = new Set(found.map((f) => f.value));
  const first = found[0]!;
  if (distinct.size > 1) {
    throw new SimError('POLICY_UNSUPPORTED', { line: found[1]!.line, column: found[1]!.column,
      construct: 'several ccePolicy values' },
      `${found[1]!.line}:${found[1]!.column}: the template holds ${distinct.size} different `
        + `ccePolicy values; pass one policy`);
  }
  if (first.value === '' || first.value.startsWith('[')) {
    throw new SimError('POLICY_UNSUPPORTED', { line: first.line, column: first.column,
      construct: 'unresolved ccePolicy' },
      `${first.line}:${first.column}: ccePolicy is `
        + `${first.value === '' ? 'empty' : `an ARM expression ${first.value.slice(0, 60)}`}; ` +
      'generate the policy (az confcom acipolicygen) first');
  }
  return first;
}

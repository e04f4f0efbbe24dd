/**
 * Models: nothing real. The public library API of parma-sim. Everything a user or another
 * component's test imports comes from here; the CLI and the HTTP server call only this.
 */
export * from './kernel/index.js';
export {
  decodePolicyBytes, importSecurityPolicy, loadSecurityPolicy, securityPolicyDigestHex,
  type DecodedPolicyBytes, type PolicyEncoding,
} from '../models/policy/load-policy.js';
export { importRegoPolicy, parseRegoModule, type RegoModule, type RegoStatement } from '../models/policy/import-rego.js';

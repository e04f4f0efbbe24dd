/**
 * Models: the host-side computation of HOST_DATA for a policy (hcsshim NewSecurityPolicyDigest):
 * `parma-sim policy hash FILE [--json]` prints SHA-256 of the policy bytes, after decoding a base64
 * file or the ccePolicy of an ARM template. It does not import the policy: a template or a policy
 * parma-sim cannot import still has a digest.
 */
import type { CliIo } from './types.js';
import { EXIT_OK, SimError } from '../kernel/errors.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import { decodePolicyBytes, securityPolicyDigestHex } from '../index.js';
import {
  helpRequested, parsePolicyArgs, policyUsage, readPolicyFile, withFileName,
} from './policy-input.js';

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (helpRequested(argv)) {
    io.stdout(`${policyUsage('hash', ['--json'])}\n`);
    return EXIT_OK;
  }
  const args = parsePolicyArgs(argv, 'hash', ['--json']);
  const input = readPolicyFile(args.file);
  const decoded = withFileName(args.file, () => decodePolicyBytes(input));
  if (decoded.bytes.length === 0) {
    // Most often a pipe that carried nothing: SHA-256 of no bytes is no policy's HOST_DATA.
    const where = args.file === '-' ? 'stdin' : args.file;
    const after = decoded.encoding === 'raw' ? '' : ` after ${decoded.encoding} decoding`;
    throw new SimError('POLICY_PARSE', { file: args.file, encoding: decoded.encoding },
      `${where}: the policy is empty (0 bytes${after}); nothing to hash`);
  }
  const digestHex = securityPolicyDigestHex(decoded.bytes);
  if (args.flags.has('--json')) {
    io.stdout(canonicalJson({
      host_data: digestHex, encoding: decoded.encoding, policy_bytes: decoded.bytes.length,
    }, 2) + '\n');
  } else {
    io.stdout(`${digestHex}\n`);
  }
  return EXIT_OK;
}

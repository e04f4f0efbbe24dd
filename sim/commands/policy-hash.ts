/**
 * Models: the host-side computation of HOST_DATA for a policy (hcsshim NewSecurityPolicyDigest):
 * `parma-sim policy hash FILE [--json]` prints SHA-256 of the policy bytes, after decoding a base64
 * file or the ccePolicy of an ARM template. It does not import the policy: a template or a policy
 * parma-sim cannot import still has a digest.
 */
import type { CliIo } from './types.js';
import { EXIT_OK } from '../kernel/errors.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import { decodePolicyBytes, securityPolicyDigestHex } from '../index.js';
import { parsePolicyArgs, readPolicyFile, withFileName } from './policy-input.js';

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parsePolicyArgs(argv, 'hash', ['--json']);
  const input = readPolicyFile(args.file);
  const decoded = withFileName(args.file, () => decodePolicyBytes(input));
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

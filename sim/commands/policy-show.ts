/**
 * Models: nothing real. `parma-sim policy show FILE [--compact]`: imports a policy (Rego, legacy
 * JSON, native JSON; raw, base64 or inside an ARM template) and prints the normalised
 * SecurityPolicy as canonical JSON (sorted keys). The output is itself a native JSON policy, so
 * `policy show` of it prints the same text. Import notes are also echoed to stderr.
 */
import type { CliIo } from './types.js';
import { EXIT_OK } from '../kernel/errors.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import { loadSecurityPolicy } from '../index.js';
import {
  helpRequested, parsePolicyArgs, policyUsage, readPolicyFile, withFileName,
} from './policy-input.js';

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (helpRequested(argv)) {
    io.stdout(`${policyUsage('show', ['--compact'])}\n`);
    return EXIT_OK;
  }
  const args = parsePolicyArgs(argv, 'show', ['--compact']);
  const input = readPolicyFile(args.file);
  const loaded = withFileName(args.file, () => loadSecurityPolicy(input));
  for (const note of loaded.policy.notes) io.stderr(`parma-sim: note: ${args.file}: ${note}\n`);
  io.stdout(canonicalJson(loaded.policy, args.flags.has('--compact') ? undefined : 2) + '\n');
  return EXIT_OK;
}

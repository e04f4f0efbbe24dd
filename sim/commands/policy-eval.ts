/**
 * Models: one query of the GCS policy enforcer: `parma-sim policy eval FILE --rule R --input
 * input.json [--metadata m.json] [--fragment f.rego] [--dialect head|v0.14.1]` prints the decision
 * (allowed, reasons, metadata delta, the new metadata, env_list / caps_list / allow_stdio_access).
 * Exit 0 allowed, 10 denied, 30 malformed policy / input / metadata, 2 usage, 40 I/O.
 */
import type { CliIo } from './types.js';
import { EXIT_OK, EXIT_REJECTED, SimError } from '../kernel/errors.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import {
  emptyMetadata, evaluateEnforcementPoint, fragmentDocumentFromPolicy, importRegoPolicy,
  loadSecurityPolicy, metadataFromJson, type PolicyDialect,
} from '../index.js';
import { parseArgs, readJson, readText } from './policy-args.js';
import { readPolicyFile, withFileName } from './policy-input.js';

const USAGE = 'usage: parma-sim policy eval FILE --rule RULE --input INPUT.json ' +
  '[--metadata METADATA.json] [--fragment FRAGMENT.rego] [--dialect head|v0.14.1]';

export function parseDialect(value: string | undefined): PolicyDialect {
  if (value === undefined || value === 'head') return 'head';
  if (value === 'v0.14.1') return 'v0.14.1';
  throw new SimError('SIM_USAGE', { dialect: value },
    `--dialect must be head or v0.14.1\n${USAGE}`);
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { io.stdout(`${USAGE}\n`); return EXIT_OK; }
  const args = parseArgs(
    argv, USAGE, ['--rule', '--input', '--metadata', '--fragment', '--dialect'], []);
  const rule = args.values.get('--rule');
  const inputFile = args.values.get('--input');
  if (rule === undefined || inputFile === undefined) throw new SimError('SIM_USAGE', {}, USAGE);
  const dialect = parseDialect(args.values.get('--dialect'));
  const policy = withFileName(
    args.file, () => loadSecurityPolicy(readPolicyFile(args.file)).policy);
  let input = readJson(inputFile, 'input');
  const metadataFile = args.values.get('--metadata');
  const metadata = metadataFile === undefined ? emptyMetadata()
    : metadataFromJson(readJson(metadataFile, 'metadata'), (message) => {
      throw new SimError('POLICY_BAD_INPUT', { file: metadataFile, field: 'metadata' },
        `${metadataFile}: ${message}`);
    });
  const fragmentFile = args.values.get('--fragment');
  if (fragmentFile !== undefined) {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new SimError('POLICY_BAD_INPUT', { field: 'input' },
        `${inputFile}: input must be an object`);
    }
    const fragment = withFileName(fragmentFile, () => importRegoPolicy(readText(fragmentFile)));
    input = { ...input, fragment_loaded: true, fragment: fragmentDocumentFromPolicy(fragment) };
  }
  const decision = evaluateEnforcementPoint(policy, metadata, rule, input, { dialect });
  io.stdout(canonicalJson(decision, 2) + '\n');
  return decision.allowed ? EXIT_OK : EXIT_REJECTED;
}

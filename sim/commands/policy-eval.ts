/**
 * Models: one query of the GCS policy enforcer: `parma-sim policy eval FILE --rule R --input
 * input.json [--metadata m.json] [--fragment f.rego] [--dialect head|v0.14.1]
 * [--null-command framework|empty-argv]` prints the decision (allowed, reasons, the framework's
 * own reason list, metadata delta, the new metadata, env_list / caps_list / allow_stdio_access).
 * Exit 0 allowed, 10 denied, 30 malformed policy / input / metadata, 2 usage, 40 I/O.
 */
import type { CliIo } from './types.js';
import { EXIT_OK, EXIT_REJECTED, SimError } from '../kernel/errors.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import {
  ENFORCEMENT_POINT_NAMES, evaluateEnforcementPoint, fragmentDocumentFromPolicy,
  importRegoPolicy, loadSecurityPolicy,
} from '../index.js';
import { flagError } from './flags.js';
import { parseArgs, readJson, readText } from './policy-args.js';
import { readPolicyFile, withFileName } from './policy-input.js';
import {
  ENGINE_OPTIONS_USAGE, parseDialect, parseNullCommand, readMetadata,
} from './policy-engine-options.js';

const USAGE = 'usage: parma-sim policy eval FILE --rule RULE --input INPUT.json ' +
  `[--fragment FRAGMENT.rego] ${ENGINE_OPTIONS_USAGE}`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { io.stdout(`${USAGE}\n`); return EXIT_OK; }
  const args = parseArgs(argv, USAGE,
    ['--rule', '--input', '--metadata', '--fragment', '--dialect', '--null-command'], []);
  const rule = args.values.get('--rule');
  const inputFile = args.values.get('--input');
  if (rule === undefined || inputFile === undefined) throw new SimError('SIM_USAGE', {}, USAGE);
  if (!ENFORCEMENT_POINT_NAMES.some((name) => name === rule)) {
    throw flagError('--rule', `'${rule.slice(0, 40)}' is not an enforcement point `
      + `(known: ${ENFORCEMENT_POINT_NAMES.join(', ')})`);
  }
  const dialect = parseDialect(args.values.get('--dialect'), USAGE);
  const nullCommand = parseNullCommand(args.values.get('--null-command'), USAGE);
  const policy = withFileName(
    args.file, () => loadSecurityPolicy(readPolicyFile(args.file)).policy);
  let input = readJson(inputFile, 'input');
  const metadata = readMetadata(args.values.get('--metadata'), dialect);
  const fragmentFile = args.values.get('--fragment');
  if (fragmentFile !== undefined) {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new SimError('POLICY_BAD_INPUT', { field: 'input' },
        `${inputFile}: input must be an object`);
    }
    const fragment = withFileName(fragmentFile, () => importRegoPolicy(readText(fragmentFile)));
    input = { ...input, fragment_loaded: true, fragment: fragmentDocumentFromPolicy(fragment) };
  }
  const decision = evaluateEnforcementPoint(policy, metadata, rule, input,
    { dialect, nullCommand });
  io.stdout(canonicalJson(decision, 2) + '\n');
  return decision.allowed ? EXIT_OK : EXIT_REJECTED;
}

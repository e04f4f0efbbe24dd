/**
 * Models: hcsshim's policyenginesimulator: `parma-sim policy simulate FILE --commands
 * commands.json [--metadata m.json] [--dialect head|v0.14.1] [--null-command
 * framework|empty-argv] [--full]` replays `{name, input}` calls, threading the metadata, and
 * prints one JSON line per command (index, name, allowed, reasons, framework_reasons, the
 * metadata actions by name/action/key, env_list / caps_list / allow_stdio_access; `--full`
 * prints whole decisions including the metadata after each step). A load_fragment command's
 * `local_path` is read relative to the commands file.
 * Exit 0 when every command was allowed, 10 when any was denied, 30 malformed, 2 usage, 40 I/O.
 */
import { dirname, resolve } from 'node:path';
import type { CliIo } from './types.js';
import { EXIT_OK, EXIT_REJECTED, SimError } from '../kernel/errors.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import {
  fragmentDocumentFromPolicy, importRegoPolicy, loadSecurityPolicy, parseSimulatorCommands,
  simulatePolicy, type Decision, type SimulatorStep,
} from '../index.js';
import { parseArgs, readJson, readText } from './policy-args.js';
import { readPolicyFile, withFileName } from './policy-input.js';
import {
  ENGINE_OPTIONS_USAGE, parseDialect, parseNullCommand, readMetadata,
} from './policy-engine-options.js';

const USAGE = 'usage: parma-sim policy simulate FILE --commands COMMANDS.json ' +
  `${ENGINE_OPTIONS_USAGE} [--full]`;

function brief(decision: Decision): Record<string, unknown> {
  const out: Record<string, unknown> = {
    allowed: decision.allowed, source: decision.source, reasons: decision.reasons,
    framework_reasons: decision.framework_reasons,
    delta: decision.delta.map((op) => ({ name: op.name, action: op.action, key: op.key })),
  };
  if (decision.env_list !== undefined) out['env_list'] = decision.env_list;
  if (decision.caps_list !== undefined) out['caps_list'] = decision.caps_list;
  if (decision.allow_stdio_access !== undefined) {
    out['allow_stdio_access'] = decision.allow_stdio_access;
  }
  if (decision.add_module !== undefined) out['add_module'] = decision.add_module;
  return out;
}

function render(step: SimulatorStep, full: boolean): string {
  const view = (d: Decision) => (full ? d : brief(d));
  return canonicalJson({
    index: step.index, name: step.name, ...view(step.decision),
    ...(step.phase1 ? { phase1: view(step.phase1) } : {}),
  });
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { io.stdout(`${USAGE}\n`); return EXIT_OK; }
  const args = parseArgs(argv, USAGE,
    ['--commands', '--metadata', '--dialect', '--null-command'], ['--full']);
  const commandsFile = args.values.get('--commands');
  if (commandsFile === undefined) throw new SimError('SIM_USAGE', {}, USAGE);
  const dialect = parseDialect(args.values.get('--dialect'), USAGE);
  const nullCommand = parseNullCommand(args.values.get('--null-command'), USAGE);
  const policy = withFileName(
    args.file, () => loadSecurityPolicy(readPolicyFile(args.file)).policy);
  const commands = parseSimulatorCommands(readJson(commandsFile, 'commands'));
  const metadata = readMetadata(args.values.get('--metadata'), dialect);
  const resolveFragment = (input: Readonly<Record<string, unknown>>, index: number) => {
    const localPath = input['local_path'];
    if (typeof localPath !== 'string') {
      throw new SimError('POLICY_BAD_INPUT', { field: `commands[${index}].input.local_path` },
        `commands[${index}]: load_fragment needs local_path`);
    }
    const file = resolve(dirname(commandsFile), localPath);
    return fragmentDocumentFromPolicy(withFileName(file, () => importRegoPolicy(readText(file))));
  };
  const steps = simulatePolicy(policy, commands,
    { dialect, nullCommand, metadata, resolveFragment });
  for (const step of steps) io.stdout(render(step, args.switches.has('--full')) + '\n');
  return steps.every((s) => s.decision.allowed) ? EXIT_OK : EXIT_REJECTED;
}

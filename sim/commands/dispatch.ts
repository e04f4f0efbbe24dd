/**
 * Models: nothing real. The two pieces every subcommand shares: a table-driven dispatcher for
 * `parma-sim <group> <subcommand>` and commander setup/parsing with one usage-error convention
 * (one line on stderr, exit 2; `--help` exits 0).
 */
import { Command, CommanderError } from 'commander';
import { assert } from '../kernel/assert.js';
import { EXIT_OK, EXIT_USAGE } from '../kernel/errors.js';
import type { CliIo } from './types.js';

export type Subcommand = Readonly<{
  summary: string; run: (argv: readonly string[], io: CliIo) => Promise<number>;
}>;

/**
 * Runs the subcommand named by argv[0] from `table`; prints usage for none, --help or an unknown
 * name.
 */
export async function dispatchSubcommand(
  prefix: string, table: Readonly<Record<string, Subcommand>>, argv: readonly string[], io: CliIo,
): Promise<number> {
  assert(Object.keys(table).length > 0, 'a command group has subcommands');
  const width = Math.max(...Object.keys(table).map((name) => name.length)) + 1;
  const usage = [`usage: ${prefix} <subcommand> [options]`, '', 'subcommands:',
    ...Object.entries(table).map(([name, sub]) => `  ${name.padEnd(width)} ${sub.summary}`),
  ].join('\n') + '\n';
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout(usage);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const sub = Object.hasOwn(table, name) ? table[name] : undefined;
  if (sub === undefined) {
    io.stderr(`${prefix}: unknown subcommand '${name}'\n${usage}`);
    return EXIT_USAGE;
  }
  return sub.run(rest, io);
}

/** A commander program that throws instead of exiting and writes through `io`. */
export function newProgram(name: string, io: CliIo): Command {
  return new Command(name)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => undefined });
}

/**
 * Parses argv with `program`. Returns undefined when the command should go on, or the exit code
 * when it should stop: 0 after --help, 2 after a usage error (reported as one line).
 */
export function parseProgram(
  program: Command, argv: readonly string[], io: CliIo,
): number | undefined {
  try {
    program.parse([...argv], { from: 'user' });
    return undefined;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return EXIT_OK;
    io.stderr(`${program.name()}: ${error.message.replace(/^error: /, '')} (see --help)\n`);
    return EXIT_USAGE;
  }
}

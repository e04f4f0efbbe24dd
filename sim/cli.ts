/**
 * Models: nothing real. The `parma-sim` command: a thin dispatcher. Each subcommand lives in
 * sim/commands/<name>.ts and is loaded lazily, so `parma-sim measure` does not pay for loading
 * the policy engine. Exit codes come from one table (sim/kernel/errors.ts).
 */
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { AssertionError } from './kernel/assert.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, SimError, exitCodeFor } from './kernel/errors.js';
import type { CliIo, CommandModule } from './commands/types.js';
import { packageVersion } from './kernel/package-root.js';

const COMMANDS: Readonly<Record<string, Readonly<{
  summary: string; load: () => Promise<CommandModule>;
}>>> = {
  snp: {
    summary: 'fake AMD-SP firmware: reports, certificates, verification',
    load: () => import('./commands/snp.js'),
  },
  measure: {
    summary: 'SNP launch digest, sev-snp-measure compatible',
    load: () => import('./commands/measure.js'),
  },
  idblock: {
    summary: 'ID block and ID auth info for LAUNCH_FINISH',
    load: () => import('./commands/idblock.js'),
  },
  policy: {
    summary: 'execution policies: hash, show, eval, simulate, fragment',
    load: () => import('./commands/policy.js'),
  },
  dmverity: {
    summary: 'dm-verity hash trees: format (veritysetup), roothash (as the guest reads it)',
    load: () => import('./commands/dmverity.js'),
  },
  serve: {
    summary: 'fake KDS, THIM and sidecar attestation server for simulated chips',
    load: () => import('./commands/serve.js'),
  },
  world: {
    summary: 'a simulated confidential container group: run a deployment, replay a trace',
    load: () => import('./commands/world.js'),
  },
  check: {
    summary: 'property checks: hostile campaigns (sharded), exhaustive exploration, a policy\'s '
      + 'attack surface',
    load: () => import('./commands/check.js'),
  },
  scenario: {
    summary: 'the catalog of attacks and benign workflows: list, run (timeline, JSON, Mermaid)',
    load: () => import('./commands/scenario.js'),
  },
};

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

function usage(): string {
  const lines = ['usage: parma-sim <command> [options]', '', 'commands:'];
  for (const [name, command] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  lines.push('', 'Run `parma-sim <command> --help` for the options of a command, '
    + '`parma-sim --version` for the version.');
  return lines.join('\n') + '\n';
}

/** Runs one command line; never throws. Returns the process exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`parma-sim ${packageVersion()}\n`);
    return EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr(`parma-sim: unknown command '${name}'\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    const module = await command.load();
    return await module.run(rest, io);
  } catch (error) {
    return reportError(error, io);
  }
}

/** Prints an error as one clear line (plus a JSON detail line) and maps it to an exit code. */
export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof SimError) {
    io.stderr(`parma-sim: ${error.message}\n`);
    return exitCodeFor(error);
  }
  const kind = error instanceof AssertionError ? 'internal assertion failed' : 'internal error';
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`parma-sim: ${kind}: ${message}\n`
    + 'This is a parma-sim bug; please report it with the command line.\n');
  return EXIT_INTERNAL;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}

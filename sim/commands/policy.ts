/**
 * Models: nothing real. `parma-sim policy <hash|show|eval|simulate|fragment>`: dispatches to one
 * module per subcommand, loaded lazily (so `policy hash` does not load the engine).
 */
import type { CliIo, CommandModule } from './types.js';
import { EXIT_OK, EXIT_USAGE } from '../kernel/errors.js';

const SUBCOMMANDS: Readonly<Record<string, Readonly<{ summary: string; load: () => Promise<CommandModule> }>>> = {
  hash: { summary: 'SHA-256 of the policy bytes (base64 / ARM ccePolicy decoded first) = HOST_DATA', load: () => import('./policy-hash.js') },
  show: { summary: 'import a policy (Rego, legacy JSON, native JSON, base64, ARM) and print it normalised', load: () => import('./policy-show.js') },
  eval: { summary: 'evaluate one enforcement point and print the decision', load: () => import('./policy-eval.js') },
  simulate: { summary: "replay an hcsshim policy-engine-simulator command list", load: () => import('./policy-simulate.js') },
  fragment: { summary: 'policy fragments (COSE_Sign1 envelopes)', load: () => import('./policy-fragment.js') },
};

function usage(): string {
  const lines = ['usage: parma-sim policy <subcommand> [options]', '', 'subcommands:'];
  for (const [name, sub] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(9)} ${sub.summary}`);
  return lines.join('\n') + '\n';
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const sub = SUBCOMMANDS[name];
  if (sub === undefined) {
    io.stderr(`parma-sim policy: unknown subcommand '${name}'\n${usage()}`);
    return EXIT_USAGE;
  }
  return (await sub.load()).run(rest, io);
}

/**
 * Models: nothing real. `parma-sim policy <hash|show|eval|simulate|fragment>`: one module per
 * subcommand, loaded lazily (so `policy hash` does not load the engine).
 */
import type { CliIo } from './types.js';
import { dispatchSubcommand, type Subcommand } from './dispatch.js';

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  hash: {
    summary: 'SHA-256 of the policy bytes (base64 / ARM ccePolicy decoded first) = HOST_DATA',
    run: async (a, io) => (await import('./policy-hash.js')).run(a, io),
  },
  show: {
    summary: 'import a policy (Rego, legacy JSON, native JSON, base64, ARM)'
      + ' and print it normalised',
    run: async (a, io) => (await import('./policy-show.js')).run(a, io),
  },
  eval: {
    summary: 'evaluate one enforcement point and print the decision',
    run: async (a, io) => (await import('./policy-eval.js')).run(a, io),
  },
  simulate: {
    summary: 'replay an hcsshim policy-engine-simulator command list',
    run: async (a, io) => (await import('./policy-simulate.js')).run(a, io),
  },
  fragment: {
    summary: 'policy fragments (COSE_Sign1 envelopes)',
    run: async (a, io) => (await import('./policy-fragment.js')).run(a, io),
  },
};

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  return dispatchSubcommand('parma-sim policy', SUBCOMMANDS, argv, io);
}

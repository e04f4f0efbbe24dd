/**
 * Models: nothing real. `parma-sim snp <report|show|certs|verify>`: one module per subcommand,
 * loaded lazily.
 */
import type { CliIo } from './types.js';
import { dispatchSubcommand, type Subcommand } from './dispatch.js';

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  report: {
    summary: 'make a signed ATTESTATION_REPORT (every field settable)',
    run: async (a, io) => (await import('./snp-report.js')).run(a, io),
  },
  show: {
    summary: 'decode a report and print it as JSON',
    run: async (a, io) => (await import('./snp-show.js')).run(a, io),
  },
  certs: {
    summary: 'write the test ARK/ASK/ASVK, VCEK/VLEK, chain and CRL',
    run: async (a, io) => (await import('./snp-certs.js')).run(a, io),
  },
  verify: {
    summary: 'verify a report against a certificate directory and appraise it',
    run: async (a, io) => (await import('./snp-verify.js')).run(a, io),
  },
};

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  return dispatchSubcommand('parma-sim snp', SUBCOMMANDS, argv, io);
}

/**
 * Models: nothing real. `parma-sim snp <report|show|certs|verify>`: dispatches to one module per
 * subcommand, loaded lazily.
 */
import type { CliIo, CommandModule } from './types.js';
import { EXIT_OK, EXIT_USAGE } from '../kernel/errors.js';

const SUBCOMMANDS: Readonly<Record<string, Readonly<{ summary: string; load: () => Promise<CommandModule> }>>> = {
  report: { summary: 'make a signed ATTESTATION_REPORT (every field settable)', load: () => import('./snp-report.js') },
  show: { summary: 'decode a report and print it as JSON', load: () => import('./snp-show.js') },
  certs: { summary: 'write the test ARK/ASK/ASVK, VCEK/VLEK, chain and CRL', load: () => import('./snp-certs.js') },
  verify: { summary: 'verify a report against a certificate directory and appraise it', load: () => import('./snp-verify.js') },
};

function usage(): string {
  const lines = ['usage: parma-sim snp <subcommand> [options]', '', 'subcommands:'];
  for (const [name, sub] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(8)} ${sub.summary}`);
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
    io.stderr(`parma-sim snp: unknown subcommand '${name}'\n${usage()}`);
    return EXIT_USAGE;
  }
  return (await sub.load()).run(rest, io);
}

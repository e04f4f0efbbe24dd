/**
 * Models: nothing real. `parma-sim serve`: flags (and an optional JSON config) → createFakeSnp →
 * listen; prints one JSON line on stdout (the base URL, the chips with their KDS VCEK URLs, the
 * test ARKs to pin, the token service's and key vault's endpoints and key names), logs one line
 * per request on stderr, and shuts down on SIGINT/SIGTERM.
 */
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { toHex } from '../kernel/bytes.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import { EXIT_OK, SimError } from '../kernel/errors.js';
import {
  PRODUCT_NAMES, ROUTE_IDS, createFakeSnp, thimTcbm, toPem, type FakeSnp, type FakeSnpOptions,
  type RunningFakeSnp,
} from '../index.js';
import { newProgram, parseProgram } from './dispatch.js';
import { seedFlag } from './flags.js';
import { readInputText, writeFilesInto } from './files.js';
import type { CliIo } from './types.js';

function buildProgram(io: CliIo): Command {
  return newProgram('parma-sim serve', io)
    .description('Serve fake AMD KDS, Azure THIM/ACC, confidential-sidecar attestation and key '
      + 'release, MAA-style tokens and AKV-style key release for simulated SEV-SNP chips '
      + '(TEST-ONLY keys).')
    .option('--host <host>', 'interface to bind (default loopback only)', '127.0.0.1')
    .option('--port <port>', 'TCP port; 0 picks a free one', '0')
    .option('--seed <seed>', 'simulation seed (overrides the config file\'s)')
    .option('--config <file.json>',
      'chips, guest, faults, time, tokenService, keyVault (see README "parma-sim serve")')
    .option('--ark-dir <dir>', 'also write the test ARKs there (ark-milan.pem, …) and print paths')
    .addOption(new Option('--quiet', 'no per-request log lines'));
}

function portOf(text: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65_535) {
    throw new SimError('SIM_USAGE', { what: 'port' }, `--port: '${text}' is not 0..65535`);
  }
  return Number(text);
}

/** Flags → library options (no defaults of our own: createFakeSnp supplies them). */
export function serveOptionsFromFlags(flags: Readonly<Record<string, unknown>>): FakeSnpOptions {
  let options: FakeSnpOptions = {};
  if (typeof flags['config'] === 'string') {
    const text = readInputText(flags['config'], 'config');
    try {
      options = JSON.parse(text) as FakeSnpOptions;
    } catch {
      throw new SimError('SIM_USAGE', { config: flags['config'] },
        `config ${flags['config']}: not JSON`);
    }
  }
  if (typeof flags['seed'] === 'string') {
    options = { ...(typeof options === 'object' && options !== null ? options : {}),
      seed: seedFlag(flags['seed']) };
  }
  return options;
}

/** The startup line: what a client needs to find and trust the server. */
export function serveSummary(fake: FakeSnp, running: RunningFakeSnp,
  arkPaths: Readonly<Record<string, string>> | undefined): string {
  const arks = fake.testArks();
  return canonicalJson({
    url: running.url,
    seed: fake.seed,
    chips: fake.chips.map((chip) => ({
      name: chip.name, product: chip.product, chipId: toHex(chip.chipId), hwid: chip.hwid,
      tcbm: thimTcbm(chip.reportedTcb), signingKey: chip.signingKey,
      kdsVcekUrl: `${running.url}${chip.kdsVcekPath}`,
    })),
    arks: arkPaths ?? Object.fromEntries(PRODUCT_NAMES.map((p) => [p, toPem(arks[p])])),
    attestation: fake.attestationEndpoints,
    routes: ROUTE_IDS,
  });
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  const flags = program.opts<Record<string, unknown>>();
  const port = portOf(String(flags['port']));
  const fake = createFakeSnp(serveOptionsFromFlags(flags));
  let arkPaths: Record<string, string> | undefined;
  if (typeof flags['arkDir'] === 'string') {
    const dir = flags['arkDir'];
    const arks = fake.testArks();
    const files = Object.fromEntries(PRODUCT_NAMES.map((p) => [`ark-${p.toLowerCase()}.pem`,
      toPem(arks[p])]));
    writeFilesInto(dir, files);
    arkPaths = Object.fromEntries(PRODUCT_NAMES.map((p) => [p,
      join(dir, `ark-${p.toLowerCase()}.pem`)]));
  }
  let requests = 0;
  const quiet = flags['quiet'] === true;
  const running = await fake.listen({
    host: String(flags['host']), port,
    log: (line) => { requests++; if (!quiet) io.stderr(`parma-sim serve: ${line}\n`); },
  });
  io.stdout(`${serveSummary(fake, running, arkPaths)}\n`);
  io.stderr(`parma-sim serve: listening on ${running.url} (seed ${fake.seed}); `
    + 'Ctrl-C to stop\n');
  const signal = await waitForSignal();
  await running.close();
  io.stderr(`parma-sim serve: ${signal}: shut down after ${requests} requests\n`);
  return EXIT_OK;
}

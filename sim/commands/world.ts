/**
 * Models: nothing real. `parma-sim world run|replay`: run the benign deployment of a policy end
 * to end in a simulated world and print the timeline (host → agent → policy → firmware, one line
 * per event) and a summary; replay a recorded trace and check its final fingerprint.
 * Exit codes: run 0 when every step of the deployment succeeded (a teardown release the guest
 * refused is reported, and ignored as the shim ignores it), 10 when one was refused;
 * replay 0 when the fingerprint (and every event) matches the trace, 10 when not; usage 2,
 * malformed policy or trace 30, I/O 40.
 */
import { createHash } from 'node:crypto';
import { EXIT_OK, EXIT_REJECTED, SimError } from '../kernel/errors.js';
import {
  createWorld, deployBenign, describeEvent, fingerprint, replay, summarizeBenignRun, traceJsonl,
} from '../index.js';
import { dispatchSubcommand, newProgram, parseProgram, type Subcommand } from './dispatch.js';
import { readInput, readInputText, writeOutput } from './files.js';
import { seedFlag } from './flags.js';
import type { CliIo } from './types.js';

type RunOptions = { policy?: string; seed: string; trace?: string; format: string };

async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let options: RunOptions | undefined;
  const program = newProgram('parma-sim world run', io)
    .description('deploy a policy\'s container group in a simulated confidential UVM')
    .requiredOption('--policy <file>', 'the security policy (Rego, JSON, base64; - for stdin)')
    .option('--seed <seed>', 'the run\'s seed', '1')
    .option('--trace <file>', 'write the run as JSONL (replayable)')
    .option('--format <format>', 'text or json', 'text')
    .action((opts: RunOptions) => { options = opts; });
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  if (options === undefined || options.policy === undefined) return 2;
  if (options.format !== 'text' && options.format !== 'json') {
    throw new SimError('SIM_USAGE', {}, 'world run: --format is text or json');
  }
  const seed = seedFlag(options.seed);
  const world = createWorld({ seed, policy: readInput(options.policy, 'policy') });
  const run = deployBenign(world);
  const trace = traceJsonl(world, run.events, run.world);
  if (options.trace !== undefined) writeOutput(options.trace, trace);
  const summary = summarizeBenignRun(run);
  const refused = summary.refused;
  const rowJson = (row: (typeof refused)[number]) =>
    ({ note: row.note, stoppedBy: row.result.stoppedBy, reason: row.result.reason });
  const traceHash = createHash('sha256').update(trace).digest('hex');
  if (options.format === 'json') {
    io.stdout(`${JSON.stringify({ steps: run.rows.length, deployed: summary.deployed,
      refused: refused.map(rowJson), releaseRefused: summary.releaseRefused.map(rowJson),
      notDeployed: run.notDeployed, fingerprint: fingerprint(run.world), traceSha256: traceHash },
    null, 2)}\n`);
  } else {
    io.stdout(`world: seed ${world.config.seed}, ${world.config.product}, policy `
      + `${world.config.policy}\n`);
    for (const event of run.events) io.stdout(`${describeEvent(event)}\n`);
    for (const skipped of run.notDeployed) {
      io.stdout(`not deployable: ${skipped.name}: ${skipped.reason}\n`);
    }
    for (const row of summary.releaseRefused) {
      io.stdout(`release refused (logged by the shim, which goes on): ${row.note}: `
        + `${row.result.reason}\n`);
    }
    const releases = summary.releaseRefused.length;
    io.stdout(`${run.rows.length} steps, ${run.rows.length - refused.length - releases} ok, `
      + `${refused.length} refused, ${releases} release(s) refused; deployed: `
      + `${summary.deployed.join(', ') || '-'}; fingerprint ${fingerprint(run.world)}\n`);
    io.stdout(`trace: ${run.events.length} events, sha256 ${traceHash}\n`);
  }
  return refused.length === 0 ? EXIT_OK : EXIT_REJECTED;
}

async function replayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let path: string | undefined;
  const program = newProgram('parma-sim world replay', io)
    .description('replay a recorded world trace and check its final fingerprint')
    .argument('<trace>', 'a trace written by `parma-sim world run --trace`')
    .action((file: string) => { path = file; });
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  if (path === undefined) return 2;
  const out = replay(readInputText(path, 'trace'));
  io.stdout(`${out.fingerprint}\n`);
  if (!out.matches) {
    io.stderr(`parma-sim world replay: the replay does not match the trace (recorded `
      + `${out.recorded}, ${out.differingEvents} differing events)\n`);
  }
  return out.matches ? EXIT_OK : EXIT_REJECTED;
}

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  run: { summary: 'run the benign deployment of a policy and print the timeline',
    run: runCommand },
  replay: { summary: 'replay a recorded trace and print the final fingerprint',
    run: replayCommand },
};

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  return dispatchSubcommand('parma-sim world', SUBCOMMANDS, argv, io);
}

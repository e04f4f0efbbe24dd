/**
 * Models: nothing real. `parma-sim check`: the property suites from the command line.
 *   check [--runs N] [--seed S] [--workers W] [--shard i/n] [--format text|json] [--out FILE]
 *     a random campaign (properties/campaign.ts) of a hostile host against generated policies,
 *     the invariant after every step; sharded deterministically (JOB_COMPLETION_INDEX read);
 *   check merge FILE...      merges shards' JSON results into one campaign's;
 *   check --exhaustive [--config NAME] [--depth K] [--no-symmetry]
 *     the bounded exhaustive exploration (sim/explore.ts) of a named small configuration;
 *   check --policy FILE      C1 and the attack surface of a user's own policy (check-policy.ts).
 * Exit codes: 0 no violation; 10 a violation (or an unknown verdict, or C1 denied); 2 usage or a
 * search past its limit (SIM_LIMIT_EXCEEDED, with the figures reached); 30 a malformed policy.
 * This face (with check-*.ts) is the one part of sim/ that loads properties/.
 */
import { SingleBar, Presets } from 'cli-progress';
import { reasonOf } from './flags.js';
import { EXIT_OK, EXIT_REJECTED, SimError } from '../kernel/errors.js';
import { canonicalJson, type Json } from '../kernel/canonical-json.js';
import { explore, type ExploreReport } from '../explore.js';
import { exploreConfig, initialWorld, CONFIG_NAMES } from '../check/configs.js';
import { createWorld, runActions, traceJsonl } from '../world.js';
import {
  BATCH_SIZE, mergeResults, parseCampaignResult, parseShard, type CampaignParameters,
  type CampaignResult,
} from '../check/shards.js';
import { explorerChecks } from './check-invariants.js';
import { coverageOf, mutantByName, runShard } from './check-campaign.js';
import { mutantEngine } from '../../properties/mutants.js';
import { coverageTable, unreached } from '../../properties/coverage.js';
import { policyCheckCommand } from './check-policy.js';
import { dispatchSubcommand, newProgram, parseProgram } from './dispatch.js';
import { readInputText, writeOutput } from './files.js';
import type { CliIo } from './types.js';

type CheckOptions = {
  exhaustive?: boolean; config: string; depth?: string; symmetry: boolean; maxStates?: string;
  runs: string; seed: string; workers: string; shard?: string; format: string; out?: string;
  mutant?: string; policy?: string; trace?: string; maxCommands: string; policies: string;
};

function integer(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SimError('SIM_USAGE', { flag, value: text }, `${flag} must be an integer `
      + `${min}..${max} (got ${JSON.stringify(text)})`);
  }
  return value;
}

function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Exhaustive exploration

function exhaustiveText(name: string, summary: string, depth: number, report: ExploreReport):
  string {
  const lines = [`exhaustive: config ${name} (${summary}), depth ${depth}, symmetry reduction: `
    + `${report.symmetry === null ? 'off' : `on, ${report.symmetry}`}`,
  `  new states by depth: ${report.levels.join(' ')}`,
  `  ${report.states} distinct states, ${report.transitions} transitions (${report.selfLoops} `
    + `refused: same state), depth reached ${report.depthReached}${report.complete
    ? ' (complete: every reachable state)' : ''}`,
  `  ${(report.elapsedMs / 1000).toFixed(1)} s, ${Math.round(report.statesPerSecond)} states/s, `
    + `${Math.round(report.transitionsPerSecond)} transitions/s, ${report.bytesPerState.toFixed(0)}`
    + ` bytes per stored state${report.replayed > 0 ? `, ${report.replayed} frontier states `
    + 'replayed' : ''}`];
  const v = report.violation;
  if (v === null) {
    lines.push('  violations: 0');
  } else {
    lines.push(`  ${v.invariant} ${v.status} after ${v.actions.length} actions: ${v.reason}`,
      '  shortest counterexample (from the configuration\'s initial world):',
      ...v.names.map((name, i) => `    ${String(i + 1).padStart(2)}. ${name}`));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The search's bound is --max-states: a search past it is a usage error (exit 2) naming the flag,
 * with the figures reached. SIM_LIMIT_EXCEEDED itself exits 30 (input past a bound).
 */
function withinMaxStates<T>(search: () => T): T {
  try {
    return search();
  } catch (error) {
    if (!(error instanceof SimError) || error.code !== 'SIM_LIMIT_EXCEEDED') throw error;
    throw new SimError('SIM_USAGE', { flag: '--max-states', cause: error.code, ...error.detail },
      `--max-states: ${reasonOf(error)} (SIM_LIMIT_EXCEEDED)`);
  }
}

async function exhaustiveCommand(o: CheckOptions, io: CliIo): Promise<number> {
  const config = exploreConfig(o.config);
  const depth = o.depth === undefined ? config.documentedDepth
    : integer(o.depth, '--depth', 0, 1000);
  const engine = o.mutant === undefined ? undefined : mutantEngine(mutantByName(o.mutant));
  const options = engine === undefined ? config.options : { ...config.options, engine };
  const initial = initialWorld({ ...config, options });
  const tty = o.format === 'text' && process.stderr.isTTY === true;
  const report = withinMaxStates(() => explore({
    initial, actions: config.actions, invariants: explorerChecks(), depth,
    symmetry: o.symmetry ? config.symmetry : null,
    ...(o.maxStates === undefined ? {} : { maxStates: integer(o.maxStates, '--max-states', 1,
      1e9) }),
    ...(tty ? { onProgress: (p) => io.stderr(`\r  depth ${p.depth}: ${p.states} states, `
      + `${p.transitions} transitions, ${(p.elapsedMs / 1000).toFixed(0)} s   `) } : {}),
  }));
  if (tty) io.stderr('\r\u001b[K');
  const v = report.violation;
  const actions = v === null ? [] : [...config.setup, ...v.actions];
  if (v !== null && o.trace !== undefined) {
    const start = createWorld(options);
    const run = runActions(start, actions);
    writeOutput(o.trace, traceJsonl(start, run.events, run.world));
  }
  if (o.format === 'json') {
    printJson(io, { format: 'parma-sim-check/1', kind: 'exhaustive', config: config.name, depth,
      mutant: o.mutant ?? null, ...report, violation: v === null ? null : { ...v,
        replay: { world: config.options.seed, actions } } });
  } else {
    io.stdout(exhaustiveText(config.name, config.summary, depth, report));
    if (v !== null && o.trace !== undefined) {
      io.stdout(`  the whole run (setup + counterexample) as a world trace: ${o.trace}\n`);
    }
  }
  return v === null ? EXIT_OK : EXIT_REJECTED;
}

// ---------------------------------------------------------------------------------------------
// Random campaign

function campaignText(result: CampaignResult): string {
  const p = result.parameters;
  const t = result.totals;
  const where = result.shard === null ? (result.mergedFrom > 1
    ? `merged from ${result.mergedFrom} shards` : 'whole') : `shard ${result.shard.index}/`
    + `${result.shard.count}`;
  const lines = [`campaign: seed ${p.seed}, ${p.runs} sequences in batches of ${p.batchSize} `
    + `(${where}: ${result.batches.length} batches), up to ${p.maxCommands} commands, `
    + `${p.policies} policies per batch${p.mutant === null ? '' : `, engine mutant ${p.mutant}`}`,
  `  ${t.runs} sequences, ${t.steps} steps, ${t.violations} violations, ${t.unknown} unknown`];
  if (result.missing.length > 0) lines.push(`  missing batches: ${result.missing.join(' ')}`);
  for (const b of result.batches.filter((x) => x.failure !== null)) {
    const f = b.failure!;
    lines.push(`  batch ${b.batch} (seed ${b.seed}): ${f.invariant} ${f.verdict}: ${f.reason}`,
      `    fast-check seed ${f.seed} path ${JSON.stringify(f.path)}; shrunk sequence:`,
      ...f.trail.map((label, i) => `    ${String(i + 1).padStart(3)}. ${label}`));
  }
  return `${lines.join('\n')}\n`;
}

function coverageText(result: CampaignResult): string {
  const coverage = coverageOf(result.coverage);
  const missing = unreached(coverage);
  return `${coverageTable(coverage)}\n${missing.length === 0 ? 'every catalogued deny reason '
    + 'was reached' : `unreached: ${missing.map((u) => `${u.point}${u.reason === null ? ''
      : `: ${u.reason}`}`).join('; ')}`}\n`;
}

function emit(result: CampaignResult, o: CheckOptions, io: CliIo): number {
  const json = `${canonicalJson(result as unknown as Json)}\n`;
  if (o.out !== undefined) writeOutput(o.out, json);
  if (o.format === 'json') io.stdout(json);
  else io.stdout(campaignText(result) + (result.missing.length === 0 && result.shard === null
    ? coverageText(result) : ''));
  return result.totals.violations + result.totals.unknown === 0 ? EXIT_OK : EXIT_REJECTED;
}

async function campaignCommand(o: CheckOptions, io: CliIo): Promise<number> {
  const parameters: CampaignParameters = {
    seed: integer(o.seed, '--seed', 0, 0x7fff_ffff), runs: integer(o.runs, '--runs', 1, 1e9),
    batchSize: BATCH_SIZE, maxCommands: integer(o.maxCommands, '--max-commands', 1, 10_000),
    policies: integer(o.policies, '--policies', 4, 1000),
    mutant: o.mutant === undefined ? null : mutantByName(o.mutant),
  };
  const index = process.env['JOB_COMPLETION_INDEX'];
  const shard = o.shard !== undefined ? parseShard(o.shard, index) : null;
  const workers = integer(o.workers, '--workers', 1, 64);
  const bar = o.format === 'text' && process.stderr.isTTY === true
    ? new SingleBar({ format: 'campaign |{bar}| {value}/{total} batches, {eta_formatted} left, '
      + '{violations} violations', stream: process.stderr, hideCursor: true },
    Presets.shades_classic) : null;
  let violations = 0;
  bar?.start(1, 0, { violations });
  const result = await runShard({ parameters, shard, workers, onBatch: (done, total, batch) => {
    if (batch.verdict !== 'holds') violations++;
    bar?.setTotal(total);
    bar?.update(done, { violations });
  } });
  bar?.stop();
  return emit(result, o, io);
}

async function mergeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let files: string[] = [];
  let options: { format: string; out?: string } = { format: 'text' };
  const program = newProgram('parma-sim check merge', io)
    .description('merge shards\' JSON results (check --shard i/n --format json) into one')
    .argument('<results...>', 'JSON results of the shards')
    .option('--format <format>', 'text or json', 'text')
    .option('--out <file>', 'also write the merged JSON here')
    .action((paths: string[], opts: { format: string; out?: string }) => {
      files = paths;
      options = opts;
    });
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  const merged = mergeResults(files.map((f) => parseCampaignResult(readInputText(f, 'result'),
    f)));
  const code = emit(merged, { ...options } as CheckOptions, io);
  if (merged.missing.length > 0) {
    io.stderr(`parma-sim check merge: ${merged.missing.length} batches of the campaign are in no `
      + `result: ${merged.missing.join(' ')}\n`);
    return EXIT_REJECTED;
  }
  return code;
}

// ---------------------------------------------------------------------------------------------

async function checkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let options: CheckOptions | undefined;
  const program = newProgram('parma-sim check', io)
    .description('property checks: a random hostile campaign, an exhaustive bounded '
      + 'exploration, or a policy author\'s check (subcommand: merge)')
    .option('--exhaustive', 'explore a small configuration exhaustively (BFS)')
    .option('--config <name>', `the configuration (${CONFIG_NAMES.join(', ')})`, 'pair')
    .option('--depth <k>', 'exploration depth (default: the configuration\'s documented one)')
    .option('--no-symmetry', 'no symmetry reduction of interchangeable container IDs')
    .option('--max-states <n>', 'stop with SIM_LIMIT_EXCEEDED past this many states')
    .option('--trace <file>', 'write a counterexample as a world trace (JSONL)')
    .option('--runs <n>', 'campaign: hostile sequences', '200')
    .option('--seed <s>', 'campaign: seed', '1')
    .option('--workers <w>', 'campaign: worker threads', '1')
    .option('--shard <i/n>', 'campaign: run shard i of n (JOB_COMPLETION_INDEX fills i in "/n")')
    .option('--max-commands <n>', 'campaign: commands per sequence at most', '40')
    .option('--policies <n>', 'campaign: generated policies per batch', '8')
    .option('--mutant <name>', 'run on a deliberately broken engine (properties/mutants.ts)')
    .option('--policy <file>', 'check a policy: C1 and its attack surface')
    .option('--format <format>', 'text or json', 'text')
    .option('--out <file>', 'campaign: also write the JSON result here (for merge)')
    .action((opts: CheckOptions) => { options = opts; });
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  if (options === undefined) return 2;
  if (options.format !== 'text' && options.format !== 'json') {
    throw new SimError('SIM_USAGE', {}, 'check: --format is text or json');
  }
  if (options.exhaustive === true && options.policy !== undefined) {
    throw new SimError('SIM_USAGE', {}, 'check: --exhaustive and --policy are separate checks');
  }
  if (options.policy !== undefined) {
    const runsGiven = program.getOptionValueSource('runs') === 'cli';
    return policyCheckCommand({ policy: options.policy, format: options.format,
      depth: options.depth === undefined ? undefined : integer(options.depth, '--depth', 0, 50),
      runs: runsGiven ? integer(options.runs, '--runs', 0, 1e6) : undefined,
      seed: integer(options.seed, '--seed', 0, 0x7fff_ffff) }, io);
  }
  if (options.exhaustive === true) return exhaustiveCommand(options, io);
  return campaignCommand(options, io);
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'merge') {
    return dispatchSubcommand('parma-sim check', { merge: { summary: 'merge shards\' JSON '
      + 'results', run: mergeCommand } }, argv, io);
  }
  return checkCommand(argv, io);
}

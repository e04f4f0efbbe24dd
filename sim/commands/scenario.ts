/**
 * Models: nothing real. `parma-sim scenario list|run`: the scenario catalog (scenarios/) from the
 * command line. `list [--tag T]` prints the catalog; `run <name|all> [--tag T] [--seed S]
 * [--format text|json|mermaid] [--trace out.jsonl]` runs scenarios — each attack also with its
 * defence relaxed and, where hcsshim fixed its class, against the v0.14.1-era agent — and prints
 * a timeline (text), one JSON document, or Markdown with a Mermaid sequence diagram per scenario,
 * then the summary of expected against actual.
 * Exit codes: 0 when every scenario came out as declared, 10 when one did not; usage 2 (an
 * unknown scenario, tag or format), I/O 40.
 */
import { EXIT_OK, EXIT_REJECTED, SimError } from '../kernel/errors.js';
import { canonicalSeed } from '../kernel/rng.js';
import { catalog } from '../../scenarios/catalog/index.js';
import { describeOutcome, type Scenario } from '../../scenarios/dsl.js';
import { runScenario, type ScenarioResult } from '../../scenarios/runner.js';
import {
  jsonReport, mermaidReport, summaryTable, textReport,
} from '../../scenarios/render.js';
import { dispatchSubcommand, newProgram, parseProgram, type Subcommand } from './dispatch.js';
import { writeOutput } from './files.js';
import type { CliIo } from './types.js';

const FORMATS = ['text', 'json', 'mermaid'] as const;
type Format = (typeof FORMATS)[number];

function withTag(scenarios: readonly Scenario[], tag: string | undefined): Scenario[] {
  if (tag === undefined) return [...scenarios];
  const chosen = scenarios.filter((s) => s.tags.includes(tag));
  if (chosen.length === 0) {
    const known = [...new Set(scenarios.flatMap((s) => s.tags))].sort().join(', ');
    throw new SimError('SIM_USAGE', { tag }, `no scenario has the tag '${tag}' (tags: ${known})`);
  }
  return chosen;
}

async function listCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let tag: string | undefined;
  let parsed = false;
  const program = newProgram('parma-sim scenario list', io)
    .description('list the scenario catalog')
    .option('--tag <tag>', 'only scenarios with this tag (a group: paper, hardening, '
      + 'attestation, evidence, confidentiality, benign; or attack, benign, ...)')
    .action((opts: { tag?: string }) => { tag = opts.tag; parsed = true; });
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  if (!parsed) return 2;
  const chosen = withTag(catalog(), tag);
  const width = Math.max(...chosen.map((s) => s.name.length));
  const lines = chosen.map((s) => `${s.name.padEnd(width)}  ${s.group.padEnd(15)} `
    + `${s.kind.padEnd(6)}  ${describeOutcome(s.expected).slice(0, 70)}`);
  lines.push(`${chosen.length} scenarios (${chosen.filter((s) => s.kind === 'attack').length} `
    + 'attacks)');
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

type RunOptions = { tag?: string; seed: string; format: string; trace?: string };

function select(name: string | undefined, tag: string | undefined): Scenario[] {
  const all = catalog();
  if (name === undefined && tag === undefined) {
    throw new SimError('SIM_USAGE', {}, 'scenario run: name a scenario, `all`, or --tag T');
  }
  if (name === undefined || name === 'all') return withTag(all, tag);
  const found = all.find((s) => s.name === name);
  if (found === undefined) {
    throw new SimError('SIM_USAGE', { name }, `no scenario named '${name}' (see `
      + '`parma-sim scenario list`)');
  }
  return withTag([found], tag);
}

function render(format: Format, seed: string, results: readonly ScenarioResult[]): string {
  switch (format) {
    case 'json': return jsonReport(seed, results);
    case 'mermaid': return mermaidReport(seed, results);
    case 'text': return `${results.map(textReport).join('\n')}\n${summaryTable(results)}`;
  }
}

async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let options: RunOptions | undefined;
  let name: string | undefined;
  const program = newProgram('parma-sim scenario run', io)
    .description('run scenarios: each attack also with its defence relaxed, and against the '
      + 'v0.14.1-era agent where hcsshim fixed its class')
    .argument('[name]', 'a scenario name, or all')
    .option('--tag <tag>', 'only scenarios with this tag')
    .option('--seed <seed>', 'the seed of every run', '1')
    .option('--format <format>', 'text (timeline), json or mermaid (Markdown)', 'text')
    .option('--trace <file>', 'write every run\'s events as JSONL')
    .action((arg: string | undefined, opts: RunOptions) => { name = arg; options = opts; });
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  if (options === undefined) return 2;
  const format = options.format as Format;
  if (!FORMATS.includes(format)) {
    throw new SimError('SIM_USAGE', {}, `scenario run: --format is ${FORMATS.join(', ')}`);
  }
  const seed = canonicalSeed(options.seed);
  const results = select(name, options.tag).map((s) => runScenario(s, seed));
  if (options.trace !== undefined) {
    writeOutput(options.trace, results.map((r) => r.traceJsonl).join(''));
  }
  io.stdout(render(format, seed, results));
  return results.every((r) => r.pass) ? EXIT_OK : EXIT_REJECTED;
}

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  list: { summary: 'list the catalog of attacks and benign workflows', run: listCommand },
  run: { summary: 'run scenarios and compare each outcome with its expectation',
    run: runCommand },
};

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  return dispatchSubcommand('parma-sim scenario', SUBCOMMANDS, argv, io);
}

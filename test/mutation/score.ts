/**
 * Goal: read Stryker's JSON reports (mutation-testing-report-schema): merge the reports of runs
 * over disjoint sets of files into one, and print the mutation score per file and in total, with
 * the surviving mutants one per line, so a score can be checked without rerunning Stryker.
 * Method: the score is Stryker's: detected (Killed, Timeout) over detected plus undetected
 * (Survived, NoCoverage); CompileError, RuntimeError and Ignored mutants do not count.
 * Every undetected mutant is listed one by one in Markdown (`--markdown OUT.md`) with its reason:
 * Ignored ones with the reason Stryker recorded (the assert() ignorer of ignore-assertions.ts, or
 * a `// Stryker disable next-line Mutator: reason` comment in the source: equivalent mutants);
 * Survived and NoCoverage ones with a hand-written reason from a JSON map (`--reasons FILE`:
 * "file:line:column mutator" → reason), or as not yet analysed.
 * Usage: node dist/test/mutation/score.js [--merge OUT.json] [--markdown OUT.md]
 *   [--reasons REASONS.json] REPORT.json...
 */
import { readFileSync, writeFileSync } from 'node:fs';

type Position = Readonly<{ line: number; column: number }>;
type MutantResult = Readonly<{
  id: string; mutatorName: string; replacement?: string; status: string; statusReason?: string;
  coveredBy?: readonly string[]; killedBy?: readonly string[];
  location: Readonly<{ start: Position; end: Position }>;
}>;
type FileResult = Readonly<{ source: string; mutants: readonly MutantResult[] }>;
type Report = Readonly<{ schemaVersion: string; thresholds: unknown;
  files: Readonly<Record<string, FileResult>>; testFiles?: Readonly<Record<string, unknown>>;
  [key: string]: unknown }>;

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

export type Score = Readonly<{ detected: number; undetected: number; ignored: number;
  total: number; score: number }>;

export function scoreOf(mutants: readonly MutantResult[]): Score {
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const undetected = mutants.filter((m) => UNDETECTED.has(m.status)).length;
  const ignored = mutants.filter((m) => m.status === 'Ignored').length;
  const valid = detected + undetected;
  return { detected, undetected, ignored, total: mutants.length,
    score: valid === 0 ? 100 : (100 * detected) / valid };
}

/**
 * One report from several: later files win (a rerun of a file replaces its old results). Test
 * ids are per run (each part numbers its tests from 0), so a merged report keeps no test list and
 * no per-mutant `coveredBy`/`killedBy`; a kill's reason keeps its first line (the stack trace of
 * a killed mutant is only bulk). Status, replacement, location and every Ignored or Survived
 * reason are kept whole.
 */
export function mergeReports(reports: readonly Report[]): Report {
  if (reports.length === 0) throw new Error('score: no report to merge');
  const files: Record<string, FileResult> = {};
  for (const report of reports) {
    for (const [name, file] of Object.entries(report.files)) {
      files[name] = { ...file, mutants: file.mutants.map(compactMutant) };
    }
  }
  const { testFiles: _dropped, ...rest } = reports[reports.length - 1]!;
  return { ...rest, files };
}

function compactMutant(m: MutantResult): MutantResult {
  const { coveredBy: _covered, killedBy: _killed, ...kept } = m;
  if (m.status !== 'Killed' || m.statusReason === undefined) return kept;
  return { ...kept, statusReason: m.statusReason.split('\n')[0]!.slice(0, 300) };
}

function scoreTable(report: Report, under: string): string {
  const lines = ['file | mutants | killed+timeout | survived+no coverage | ignored | score',
    '--- | ---: | ---: | ---: | ---: | ---:'];
  const chosen = Object.entries(report.files).filter(([name]) => name.startsWith(under)).sort();
  for (const [name, file] of chosen) {
    const s = scoreOf(file.mutants);
    lines.push(`${name} | ${s.total} | ${s.detected} | ${s.undetected} | ${s.ignored} | `
      + s.score.toFixed(2));
  }
  const all = scoreOf(chosen.flatMap(([, file]) => file.mutants));
  lines.push(`**${under || 'all'}** | ${all.total} | ${all.detected} | ${all.undetected} | `
    + `${all.ignored} | **${all.score.toFixed(2)}**`);
  return lines.join('\n');
}

function survivors(report: Report): string[] {
  const out: string[] = [];
  for (const [name, file] of Object.entries(report.files).sort()) {
    for (const m of file.mutants) {
      if (!UNDETECTED.has(m.status)) continue;
      const { line, column } = m.location.start;
      out.push(`${name}:${line}:${column} ${m.status} ${m.mutatorName} → `
        + `${JSON.stringify(m.replacement ?? '').slice(0, 120)}`);
    }
  }
  return out;
}

type Listed = Readonly<{ file: string; mutant: MutantResult; reason: string }>;

/**
 * Every mutant that was not detected, one by one: Ignored ones with the reason Stryker recorded
 * (an assert() ignorer, or a `// Stryker disable next-line M: reason` comment beside the code),
 * Survived and NoCoverage ones with a hand-written reason from `reasons`, or as not yet analysed.
 */
function undetectedMarkdown(report: Report, reasons: Readonly<Record<string, string>>): string {
  const listed: Listed[] = [];
  for (const [file, result] of Object.entries(report.files).sort()) {
    for (const mutant of result.mutants) {
      const { line, column } = mutant.location.start;
      const key = `${file}:${line}:${column} ${mutant.mutatorName}`;
      if (mutant.status === 'Ignored') {
        listed.push({ file, mutant, reason: mutant.statusReason ?? 'ignored (no reason given)' });
      } else if (UNDETECTED.has(mutant.status)) {
        listed.push({ file, mutant, reason: reasons[key] ?? 'not yet analysed' });
      }
    }
  }
  const ignored = listed.filter((l) => l.mutant.status === 'Ignored').length;
  const open = listed.filter((l) => l.reason === 'not yet analysed').length;
  const lines = [`Mutants not detected: ${ignored} ignored as equivalent (not counted in the `
    + `score), ${listed.length - ignored} survived or not covered (counted against it), of `
    + `which ${open} are not yet analysed.`, ''];
  for (const file of [...new Set(listed.map((l) => l.file))]) {
    lines.push(`### ${file}`, '', '| at | status | mutator | replacement | reason |',
      '| --- | --- | --- | --- | --- |');
    for (const { mutant, reason } of listed.filter((l) => l.file === file)) {
      const cell = (text: string): string => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
      lines.push(`| ${mutant.location.start.line}:${mutant.location.start.column} | `
        + `${mutant.status} | ${mutant.mutatorName} | \`${cell(mutant.replacement ?? '')
          .slice(0, 80)}\` | ${cell(reason)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function mainScore(args: readonly string[]): void {
  let out: string | undefined;
  let markdown: string | undefined;
  let reasons: Record<string, string> = {};
  const inputs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--merge') out = args[++i];
    else if (args[i] === '--markdown') markdown = args[++i];
    else if (args[i] === '--reasons') {
      reasons = JSON.parse(readFileSync(args[++i]!, 'utf8')) as Record<string, string>;
    } else inputs.push(args[i]!);
  }
  const report = mergeReports(inputs.map((path) => JSON.parse(readFileSync(path, 'utf8')) as Report));
  if (out !== undefined) writeFileSync(out, JSON.stringify(report));
  if (markdown !== undefined) writeFileSync(markdown, `${undetectedMarkdown(report, reasons)}\n`);
  for (const under of ['models/policy/', 'models/guest/', '']) {
    process.stdout.write(`${scoreTable(report, under)}\n\n`);
  }
  process.stdout.write(`${survivors(report).join('\n')}\n`);
}

if (process.argv[1]?.endsWith('score.js') === true) {
  process.stdout.on('error', () => process.exit(0)); // `score.js … | head` closes the pipe
  mainScore(process.argv.slice(2));
}

/**
 * Goal: read Stryker's JSON reports (mutation-testing-report-schema): merge the reports of runs
 * over disjoint sets of files into one, and print the mutation score per file and in total, with
 * the surviving mutants one per line, so a score can be checked without rerunning Stryker.
 * Method: the score is Stryker's: detected (Killed, Timeout) over detected plus undetected
 * (Survived, NoCoverage); CompileError, RuntimeError and Ignored mutants do not count.
 * Survivors are listed one by one in Markdown (`--markdown OUT.md`) with their reason: a mutant
 * inside an `assert(...)` is equivalent by construction (the assertion holds on every reachable
 * state, so weakening its condition or message changes no behaviour); other reasons come from a
 * hand-written JSON map (`--reasons FILE`: "file:line:column mutator" → reason); the rest are
 * listed as not yet analysed.
 * Usage: node dist/test/mutation/score.js [--merge OUT.json] [--markdown OUT.md]
 *   [--reasons REASONS.json] REPORT.json...
 */
import { readFileSync, writeFileSync } from 'node:fs';

type Position = Readonly<{ line: number; column: number }>;
type MutantResult = Readonly<{
  id: string; mutatorName: string; replacement?: string; status: string;
  location: Readonly<{ start: Position; end: Position }>;
}>;
type FileResult = Readonly<{ source: string; mutants: readonly MutantResult[] }>;
type Report = Readonly<{ schemaVersion: string; thresholds: unknown;
  files: Readonly<Record<string, FileResult>>; testFiles?: Readonly<Record<string, unknown>>;
  [key: string]: unknown }>;

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

export type Score = Readonly<{ detected: number; undetected: number; total: number;
  score: number }>;

export function scoreOf(mutants: readonly MutantResult[]): Score {
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const undetected = mutants.filter((m) => UNDETECTED.has(m.status)).length;
  const valid = detected + undetected;
  return { detected, undetected, total: mutants.length,
    score: valid === 0 ? 100 : (100 * detected) / valid };
}

/** One report from several: later files win (a rerun of a file replaces its old results). */
export function mergeReports(reports: readonly Report[]): Report {
  if (reports.length === 0) throw new Error('score: no report to merge');
  const files: Record<string, FileResult> = {};
  const testFiles: Record<string, unknown> = {};
  for (const report of reports) {
    Object.assign(files, report.files);
    Object.assign(testFiles, report.testFiles ?? {});
  }
  return { ...reports[reports.length - 1]!, files, testFiles };
}

function scoreTable(report: Report, under: string): string {
  const lines = ['file | mutants | killed+timeout | survived+no coverage | score', '--- | ---: | ---: | ---: | ---:'];
  const chosen = Object.entries(report.files).filter(([name]) => name.startsWith(under)).sort();
  for (const [name, file] of chosen) {
    const s = scoreOf(file.mutants);
    lines.push(`${name} | ${s.total} | ${s.detected} | ${s.undetected} | ${s.score.toFixed(2)}`);
  }
  const all = scoreOf(chosen.flatMap(([, file]) => file.mutants));
  lines.push(`**${under || 'all'}** | ${all.total} | ${all.detected} | ${all.undetected} | `
    + `**${all.score.toFixed(2)}**`);
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

/** [start, end) offsets of the argument lists of `assert(` calls in `source`. */
function assertSpans(source: string): [number, number][] {
  const spans: [number, number][] = [];
  const call = /(?<![\w.])assert\(/g;
  for (let m = call.exec(source); m !== null; m = call.exec(source)) {
    let depth = 1;
    let quote: string | null = null;
    let i = m.index + m[0].length;
    for (; i < source.length && depth > 0; i++) {
      const ch = source[i]!;
      if (quote !== null) {
        if (ch === '\\') i++;
        else if (ch === quote) quote = null;
      } else if (ch === '"' || ch === "'" || ch === '`') quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    spans.push([m.index, i]);
  }
  return spans;
}

function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) offset = source.indexOf('\n', offset) + 1;
  return offset + column - 1;
}

const ASSERTION_REASON = 'equivalent (assertion)';

/** A block whose statements are all assert() calls: emptying it removes only assertions. */
function assertionOnlyBlock(source: string, m: MutantResult,
  spans: readonly [number, number][]): boolean {
  if (m.mutatorName !== 'BlockStatement') return false;
  const start = offsetOf(source, m.location.start.line, m.location.start.column);
  const end = offsetOf(source, m.location.end.line, m.location.end.column);
  let rest = '';
  for (let i = start + 1; i < end - 1; i++) {
    const span = spans.find(([a]) => a === i);
    if (span !== undefined) i = span[1] - 1;
    else rest += source[i];
  }
  return rest.replace(/\/\/[^\n]*/g, '').replace(/[\s;]/g, '') === '';
}

function survivorsMarkdown(report: Report, reasons: Readonly<Record<string, string>>): string {
  const lines: string[] = [];
  const counts = { assertion: 0, explained: 0, open: 0 };
  for (const [name, file] of Object.entries(report.files).sort()) {
    const spans = assertSpans(file.source);
    const rows: string[] = [];
    for (const m of file.mutants) {
      if (!UNDETECTED.has(m.status)) continue;
      const { line, column } = m.location.start;
      const at = offsetOf(file.source, line, column);
      const key = `${name}:${line}:${column} ${m.mutatorName}`;
      let reason = reasons[key];
      if (reason !== undefined) counts.explained++;
      else if (spans.some(([a, b]) => at > a && at < b)
        || assertionOnlyBlock(file.source, m, spans)) {
        reason = ASSERTION_REASON;
        counts.assertion++;
      } else {
        reason = 'not yet analysed';
        counts.open++;
      }
      rows.push(`| ${line}:${column} | ${m.status} | ${m.mutatorName} | `
        + `\`${(m.replacement ?? '').replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 80)}\` | `
        + `${reason} |`);
    }
    if (rows.length === 0) continue;
    lines.push(`### ${name}`, '', '| at | status | mutator | replacement | reason |',
      '| --- | --- | --- | --- | --- |', ...rows, '');
  }
  return [`Survivors: ${counts.assertion} inside assertions, ${counts.explained} explained by `
    + `hand, ${counts.open} not yet analysed.`, '', `"${ASSERTION_REASON}": the mutant is inside an `
    + 'assert() call, or empties a block of assert() calls. The assertion holds on every reachable '
    + 'state (the tests never see it fire), so a weaker condition, another message or no '
    + 'assertion at all changes no behaviour.', '', ...lines].join('\n');
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
  if (markdown !== undefined) writeFileSync(markdown, `${survivorsMarkdown(report, reasons)}\n`);
  for (const under of ['models/policy/', 'models/guest/', '']) {
    process.stdout.write(`${scoreTable(report, under)}\n\n`);
  }
  process.stdout.write(`${survivors(report).join('\n')}\n`);
}

if (process.argv[1]?.endsWith('score.js') === true) mainScore(process.argv.slice(2));

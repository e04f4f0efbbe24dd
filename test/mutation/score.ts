/**
 * Goal: read Stryker's JSON reports (mutation-testing-report-schema): merge the reports of runs
 * over disjoint sets of files into one, and print the mutation score per file and in total, with
 * the surviving mutants one per line, so a score can be checked without rerunning Stryker.
 * Method: the score is Stryker's: detected (Killed, Timeout) over detected plus undetected
 * (Survived, NoCoverage); CompileError, RuntimeError and Ignored mutants do not count.
 * Usage: node dist/test/mutation/score.js [--merge OUT.json] REPORT.json...
 */
import { readFileSync, writeFileSync } from 'node:fs';

type MutantResult = Readonly<{
  id: string; mutatorName: string; replacement?: string; status: string;
  location: Readonly<{ start: Readonly<{ line: number; column: number }> }>;
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

function mainScore(args: readonly string[]): void {
  let out: string | undefined;
  const inputs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--merge') out = args[++i];
    else inputs.push(args[i]!);
  }
  const report = mergeReports(inputs.map((path) => JSON.parse(readFileSync(path, 'utf8')) as Report));
  if (out !== undefined) writeFileSync(out, JSON.stringify(report));
  for (const under of ['models/policy/', 'models/guest/', '']) {
    process.stdout.write(`${scoreTable(report, under)}\n\n`);
  }
  process.stdout.write(`${survivors(report).join('\n')}\n`);
}

if (process.argv[1]?.endsWith('score.js') === true) mainScore(process.argv.slice(2));

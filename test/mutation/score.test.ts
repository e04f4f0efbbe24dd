/**
 * Goal: the score the README and the closing notes quote is Stryker's: (killed + timeout) over
 * (killed + timeout + survived + no coverage), with Ignored, CompileError and RuntimeError
 * mutants left out; merging per-part reports keeps every file, a later report of a file winning.
 * The committed report (reports/mutation/mutation.json) meets the bar over models/policy,
 * gives every equivalent (Ignored) mutant a reason, and agrees with the README's table. It is a
 * report of the code as committed: every file Stryker mutates is in it with its current text, and
 * every mutant it did not kill has a hand-written reason in reasons.json (and no reason is stale).
 * Method: hand-made mutant lists whose score is worked out by hand below; the committed report
 * read as Stryker wrote it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../support/paths.js';
import { mergeReports, scoreOf } from './score.js';

const at = { start: { line: 1, column: 1 }, end: { line: 1, column: 2 } };
const mutants = (...statuses: string[]) => statuses.map((status, i) =>
  ({ id: String(i), mutatorName: 'ConditionalExpression', status, location: at }));

test('mutation score: 3 detected of 4 counted is 75 %; ignored and compile errors do not count',
  () => {
    const s = scoreOf(mutants('Killed', 'Timeout', 'Killed', 'Survived', 'Ignored', 'Ignored',
      'CompileError', 'RuntimeError'));
    assert.equal([s.detected, s.undetected, s.ignored, s.total], [3, 1, 2, 8]);
    assert.is(s.score, 75);
  });

test('mutation score: no coverage counts against the score; no counted mutant scores 100', () => {
  assert.is(scoreOf(mutants('Killed', 'NoCoverage')).score, 50);
  assert.is(scoreOf(mutants('Ignored')).score, 100);
});

test('mutation score: merged parts keep every file, and a later part replaces a file', () => {
  const report = (files: Record<string, string[]>) => ({ schemaVersion: '2', thresholds: {},
    files: Object.fromEntries(Object.entries(files).map(([name, statuses]) =>
      [name, { source: '', mutants: mutants(...statuses) }])) });
  const merged = mergeReports([report({ 'a.ts': ['Survived'], 'b.ts': ['Killed'] }),
    report({ 'a.ts': ['Killed', 'Killed'] })]);
  assert.equal(Object.keys(merged.files).sort(), ['a.ts', 'b.ts']);
  assert.is(scoreOf(merged.files['a.ts']!.mutants).score, 100);
  assert.is(merged.files['a.ts']!.mutants.length, 2);
});

test('mutation score: a merged report keeps a kill reason\'s first line and a survivor\'s whole, '
  + 'and drops the per-run test ids', () => {
  const mutant = (status: string, statusReason: string) => ({ id: '0', mutatorName: 'M', status,
    statusReason, location: at, coveredBy: ['3'], killedBy: ['3'] });
  const merged = mergeReports([{ schemaVersion: '2', thresholds: {}, testFiles: { t: {} },
    files: { 'a.ts': { source: '', mutants: [mutant('Killed', 'threw: X\n    at f (a.js:1)'),
      mutant('Ignored', 'why\nand more')] } } }]);
  const [killed, ignored] = merged.files['a.ts']!.mutants;
  assert.is(killed!.statusReason, 'threw: X');
  assert.is(ignored!.statusReason, 'why\nand more');
  assert.is(killed!.coveredBy, undefined);
  assert.is(merged.testFiles, undefined);
});

type Committed = Readonly<{ files: Readonly<Record<string, Readonly<{ source: string;
  mutants: readonly Readonly<{ id: string; mutatorName: string; status: string;
    statusReason?: string; location: typeof at }>[] }>>> }>;

test('mutation score: the committed report scores at least 90 % over models/policy, every '
  + 'ignored mutant has its reason, and the README quotes the same score', () => {
  const report = JSON.parse(readFileSync(join(REPO_ROOT, 'reports', 'mutation', 'mutation.json'),
    'utf8')) as Committed;
  const policy = Object.entries(report.files).filter(([name]) => name.startsWith('models/policy/'))
    .flatMap(([, file]) => file.mutants);
  assert.ok(policy.length > 1000, `models/policy is in the report (${policy.length} mutants)`);
  const score = scoreOf(policy).score;
  assert.ok(score >= 90, `models/policy scores ${score.toFixed(2)} %`);
  const unexplained = policy.filter((m) => m.status === 'Ignored'
    && (m.statusReason ?? '').trim() === '');
  assert.is(unexplained.length, 0, 'every ignored mutant carries its reason');
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const row = readme.split('\n').find((line) => line.startsWith('| **models/policy**'));
  assert.ok(row?.endsWith(`| **${score.toFixed(2)}** |`), `README row: ${row}`);
});

const MUTATION_DIR = join(REPO_ROOT, 'reports', 'mutation');
const committedReport = (): Committed =>
  JSON.parse(readFileSync(join(MUTATION_DIR, 'mutation.json'), 'utf8')) as Committed;

/** Files Stryker makes no mutant of (types and a const tuple), so no report lists them. */
const NO_MUTANTS = ['models/policy/policy-model.ts'];

/** The files stryker.config.mjs mutates, listed from the tree (not from the report). */
function mutatedFiles(): string[] {
  const policy = readdirSync(join(REPO_ROOT, 'models', 'policy'), { recursive: true })
    .map(String).filter((name) => name.endsWith('.ts')).map((name) => `models/policy/${name}`);
  const guest = readdirSync(join(REPO_ROOT, 'models', 'guest'))
    .filter((name) => /^agent.*\.ts$/.test(name) || name === 'confidential-checks.ts')
    .map((name) => `models/guest/${name}`);
  return [...policy, ...guest].filter((file) => !NO_MUTANTS.includes(file)).sort();
}

test('mutation score: the committed report is of the code as committed: every mutated file is in '
  + 'it with its current text', () => {
  const report = committedReport();
  const stale = mutatedFiles().filter((file) => report.files[file]?.source
    !== readFileSync(join(REPO_ROOT, file), 'utf8'));
  assert.equal(stale, [], 'rerun Stryker on these files and merge (README "Mutation testing"): '
    + 'PARMA_MUTATE_QUICK=1 npx stryker run --mutate FILE --incrementalFile X.json, then '
    + 'score.js --merge reports/mutation/mutation.json reports/mutation/mutation.json NEW.json');
});

test('mutation score: every mutant the committed report did not kill has a hand-written reason, '
  + 'and every reason names such a mutant', () => {
  const report = committedReport();
  const reasons = JSON.parse(readFileSync(join(MUTATION_DIR, 'reasons.json'), 'utf8')) as
    Record<string, string>;
  const undetected = Object.entries(report.files).flatMap(([file, { mutants: list }]) => list
    .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
    .map((m) => `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}`));
  assert.equal(undetected.filter((key) => (reasons[key] ?? '').trim() === ''), [],
    'undetected mutants without a reason');
  assert.equal(Object.keys(reasons).filter((key) => !undetected.includes(key)), [],
    'reasons of mutants that are no longer undetected');
});

test.run();

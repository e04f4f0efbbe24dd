/**
 * Goal: the score the README and the closing notes quote is Stryker's: (killed + timeout) over
 * (killed + timeout + survived + no coverage), with Ignored, CompileError and RuntimeError
 * mutants left out; merging per-part reports keeps every file, a later report of a file winning.
 * Method: hand-made mutant lists whose score is worked out by hand below.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();

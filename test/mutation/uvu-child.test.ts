/**
 * Goal: the Stryker child process counts a test file as failed whenever one of its tests did not
 * pass, including the case uvu itself reports as "no error": a test that throws undefined (uvu's
 * failure formatter throws on it and the suite returns as if clean). Before this check, such
 * mutants (a `return` emptied into `throw undefined`) were reported as survivors.
 * Method: fork the compiled child (test/mutation/uvu-child.ts) on probe test files written to a
 * temporary directory, one clean and one throwing undefined, and read its verdict per file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../support/paths.js';
import type { ChildResult } from './uvu-child.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'uvu-child.js');
const UVU = pathToFileURL(join(REPO_ROOT, 'node_modules', 'uvu', 'dist', 'index.mjs')).href;

function runProbe(body: string): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'parma-uvu-child-'));
  const file = join(dir, 'probe.test.mjs');
  writeFileSync(file, `import { test } from ${JSON.stringify(UVU)};\n${body}\ntest.run();\n`);
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], { env: { ...process.env, PARMA_UVU_CHILD: '1' },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    child.on('message', (message) => resolve(message as ChildResult));
    child.on('error', reject);
    child.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    child.send({ mode: 'mutant', files: [{ path: file, id: 'probe' }], bail: true });
  });
}

test('mutation/uvu-child: a clean test file passes', async () => {
  const result = await runProbe("test('ok', () => {});");
  assert.is(result.files.length, 1);
  assert.is(result.files[0]!.passed, true);
});

test('mutation/uvu-child: a test that throws undefined fails its file, though uvu reports no '
    + 'error', async () => {
  const result = await runProbe("test('bad', () => { throw undefined; });\ntest('ok', () => {});");
  assert.is(result.files[0]!.passed, false);
  assert.is(result.files[0]!.failureMessage, '2 of 2 tests did not pass');
});

test('mutation/uvu-child: an ordinary assertion failure keeps uvu\'s message', async () => {
  const result = await runProbe("test('bad', () => { throw new Error('boom'); });");
  assert.is(result.files[0]!.passed, false);
  assert.ok(result.files[0]!.failureMessage?.includes('boom'), result.files[0]!.failureMessage);
});

test.run();

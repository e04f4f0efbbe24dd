/**
 * Goal: one place that knows where the repository root and ../shared/testdata are, whether tests
 * run from test/ (tsx) or from dist/test/ (compiled).
 * Method: walk up from this file to the directory holding package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'sim'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('test/support/paths: repository root not found');
}

export const REPO_ROOT = findRepoRoot();
export const SHARED_DIR = resolve(REPO_ROOT, process.env['PARMA_SIM_SHARED'] ?? '../shared');
export const TESTDATA_DIR = join(SHARED_DIR, 'testdata');
export const HAVE_TESTDATA = existsSync(TESTDATA_DIR);

// A test that reads ../shared/testdata registers through test/support/requires.ts (sharedTest,
// sharedTests, shared()): without the folder it is counted as skipped, never as passed.

export function readTestdata(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(join(TESTDATA_DIR, ...parts)));
}

/**
 * The compiled CLI entry next to this compiled file (dist/ in CI, a helper's own out dir during
 * development), for tests that run `parma-sim` as a real process.
 */
export const CLI_JS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sim', 'cli.js');

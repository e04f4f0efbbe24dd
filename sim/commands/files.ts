/**
 * Models: nothing real. File input and output for every subcommand (except `measure`, which keeps
 * sev-snp-measure's own wording): `-` reads stdin, and a file that cannot be read or written is
 * SIM_IO (exit 40) with one line naming it and the reason (the errno code when there is one).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { assert } from '../kernel/assert.js';
import { SimError } from '../kernel/errors.js';

function reasonOf(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/** The bytes of `path` (`-`: stdin). `what` names the input in the message, e.g. "report". */
export function readInput(path: string, what?: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path === '-' ? 0 : path));
  } catch (error) {
    const reason = reasonOf(error);
    throw new SimError('SIM_IO', { path, what, reason },
      `cannot read ${what === undefined ? '' : `${what} `}${path}: ${reason}`);
  }
}

/** The UTF-8 text of `path` (`-`: stdin). */
export function readInputText(path: string, what?: string): string {
  return Buffer.from(readInput(path, what)).toString('utf8');
}

/** Writes `content` to `path`. */
export function writeOutput(path: string, content: Uint8Array | string): void {
  try {
    writeFileSync(path, content);
  } catch (error) {
    const reason = reasonOf(error);
    throw new SimError('SIM_IO', { path, reason }, `cannot write ${path}: ${reason}`);
  }
}

/**
 * `mkdir -p dir`, one level at a time. Node's `mkdirSync(dir, { recursive: true })` never returns
 * on some paths it cannot create (`/proc/x`: ENOENT on a parent that exists, so it retries);
 * creating each missing level itself fails fast with the errno.
 */
function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let path = resolve(dir);
  while (!existsSync(path)) {
    missing.unshift(path);
    const parent = dirname(path);
    if (parent === path) break;                      // the root itself is missing
    path = parent;
  }
  assert(missing.length <= resolve(dir).split('/').length, 'one level per path component');
  let reason: string | undefined;
  try {
    for (const level of missing) mkdirSync(level);
    if (!statSync(dir).isDirectory()) reason = 'ENOTDIR';
  } catch (error) {
    reason = reasonOf(error);
  }
  if (reason !== undefined) {
    throw new SimError('SIM_IO', { path: dir, reason }, `cannot create ${dir}: ${reason}`);
  }
}

/** Creates `dir` if needed and writes each named file into it. */
export function writeFilesInto(
  dir: string, files: Readonly<Record<string, Uint8Array | string>>,
): void {
  makeDirectory(dir);
  for (const [name, content] of Object.entries(files)) writeOutput(join(dir, name), content);
}

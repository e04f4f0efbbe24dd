/**
 * Models: nothing real. File input and output for every subcommand (except `measure`, which keeps
 * sev-snp-measure's own wording): `-` reads stdin, and a file that cannot be read or written is
 * SIM_IO (exit 40) with one line naming it and the reason (the errno code when there is one).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Creates `dir` if needed and writes each named file into it. */
export function writeFilesInto(
  dir: string, files: Readonly<Record<string, Uint8Array | string>>,
): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const reason = reasonOf(error);
    throw new SimError('SIM_IO', { path: dir, reason }, `cannot create ${dir}: ${reason}`);
  }
  for (const [name, content] of Object.entries(files)) writeOutput(join(dir, name), content);
}

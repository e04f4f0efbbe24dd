/**
 * Models: nothing real. Shared by `policy hash` and `policy show`: one positional FILE ('-' for
 * stdin) plus boolean flags; reads the bytes (SIM_IO on failure) and names the file in errors.
 */
import { readInput } from './files.js';
import { SimError } from '../kernel/errors.js';
import { assert } from '../kernel/assert.js';

export type PolicyArgs = Readonly<{ file: string; flags: ReadonlySet<string> }>;

/** The one-line usage of `policy <command>`. */
export function policyUsage(command: string, knownFlags: readonly string[]): string {
  const flagList = knownFlags.map((f) => `[${f}]`).join(' ');
  return `usage: parma-sim policy ${command} FILE ${flagList}`.trimEnd();
}

/** True when argv asks for help (`--help` or `-h` anywhere), as the other subcommands read it. */
export function helpRequested(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function parsePolicyArgs(
  argv: readonly string[], command: string, knownFlags: readonly string[],
): PolicyArgs {
  const files: string[] = [];
  const flags = new Set<string>();
  for (const arg of argv) {
    if (arg.startsWith('--')) {
      if (!knownFlags.includes(arg)) {
        const known = knownFlags.join(' ') || 'none';
        throw new SimError('SIM_USAGE', { arg },
          `parma-sim policy ${command}: unknown option ${arg} (known: ${known})`);
      }
      flags.add(arg);
    } else {
      files.push(arg);
    }
  }
  if (files.length !== 1) {
    throw new SimError('SIM_USAGE', { files: files.length }, policyUsage(command, knownFlags));
  }
  assert(files[0] !== undefined);
  return { file: files[0], flags };
}

export function readPolicyFile(file: string): Uint8Array {
  return readInput(file);
}

/**
 * Prefixes a SimError's message with the file name, so `file:line:column: message` reads as
 * usual.
 */
export function withFileName<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof SimError && (error.code.startsWith('POLICY_'))) {
      const text = error.message.slice(error.code.length + 2);
      throw new SimError(error.code, { file, ...error.detail }, `${file}:${text}`);
    }
    throw error;
  }
}

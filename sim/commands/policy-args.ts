/**
 * Models: nothing real. Option parsing shared by `policy eval` and `policy simulate`: one
 * positional FILE, `--name value` options, boolean switches; unknown options are usage errors.
 */
import { readInputText } from './files.js';
import { SimError } from '../kernel/errors.js';
import { assert } from '../kernel/assert.js';

export type ParsedArgs = Readonly<{
  file: string; values: ReadonlyMap<string, string>; switches: ReadonlySet<string>;
}>;

export function parseArgs(
  argv: readonly string[], usage: string, valued: readonly string[], switches: readonly string[],
): ParsedArgs {
  const files: string[] = [];
  const values = new Map<string, string>();
  const on = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) { files.push(arg); continue; }
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (switches.includes(name)) { on.add(name); continue; }
    if (!valued.includes(name)) {
      throw new SimError('SIM_USAGE', { arg }, `unknown option ${name}\n${usage}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) {
      throw new SimError('SIM_USAGE', { arg }, `${name} needs a value\n${usage}`);
    }
    values.set(name, value);
  }
  if (files.length !== 1) throw new SimError('SIM_USAGE', { files: files.length }, usage);
  assert(files[0] !== undefined);
  return { file: files[0], values, switches: on };
}

export function readText(file: string): string {
  return readInputText(file);
}

export function readJson(file: string, what: string): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SimError('POLICY_BAD_INPUT', { file, field: what },
      `${file}: ${what} is not valid JSON: ${message}`);
  }
}

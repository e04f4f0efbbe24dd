/**
 * Goal: give the launch-digest vector tests one working directory holding every input a vector
 * names: the shipped files (symlinked from ../shared/testdata/vectors/inputs) and the recipe-only
 * files regenerated from their recipe and checked against the recorded sha256.
 * Method: recipes are "byte i = (i*A+B) mod M" patterns, optionally followed by a shipped file;
 * one period of the pattern is built and tiled. The directory lives under os.tmpdir().
 */
import { createHash } from 'node:crypto';
import {
  existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shared } from '../support/requires.js';

export type LaunchVector = Readonly<{
  id: string;
  args: readonly string[];
  inputs: Readonly<Record<string, string>>;
  input_recipes?: Readonly<Record<string, string>>;
  recipe_only_inputs?: readonly string[];
  expected_exit_code: number;
  expected_digest_hex: string | null;
  expected_stdout?: string;
  expected_stderr?: string;
}>;

/** The launch-digest vectors of ../shared; only inside a sharedTest. */
export function loadLaunchVectors(): readonly LaunchVector[] {
  return JSON.parse(readFileSync(shared('vectors', 'launch-digest.json'), 'utf8')) as
    LaunchVector[];
}

/** byte i = (i*a+b) mod m for i in [0, length). */
export function patternBytes(length: number, a: number, b: number, m: number): Uint8Array {
  const period = new Uint8Array(m);
  for (let i = 0; i < m; i++) period[i] = (i * a + b) % m;
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += m) out.set(period.subarray(0, Math.min(m, length - at)), at);
  return out;
}

const RECIPE = new RegExp([
  /^(\d+) bytes(?: = (\d+) bytes)?; /,
  /byte i = \(i\*(\d+)\+(\d+)\) mod (\d+) for i in \[0, (\d+)\)/,
  /(?:, followed by the (\d+) bytes of shared\/testdata\/vectors\/inputs\/([\w.]+))?/,
].map((part) => part.source).join(''));

/** Regenerates a recipe-only input; throws if the recipe is not one we understand. */
export function fromRecipe(recipe: string, inputsDir: string): Uint8Array {
  const match = RECIPE.exec(recipe);
  if (match === null) throw new Error(`unknown recipe: ${recipe}`);
  const total = Number(match[1]);
  const patternLength = Number(match[6]);
  const pattern = patternBytes(patternLength, Number(match[3]), Number(match[4]), Number(match[5]));
  if (match[8] === undefined) return pattern;
  const suffix = readFileSync(join(inputsDir, match[8]));
  const out = new Uint8Array(total);
  out.set(pattern, 0);
  out.set(suffix, patternLength);
  if (patternLength + suffix.length !== total) throw new Error(`recipe sizes disagree: ${recipe}`);
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export type VectorWorkdir = Readonly<{
  dir: string; pathOf: (name: string) => string; dispose: () => void;
}>;

/** A temporary directory with every input of `vectors`; recipe files are checked by sha256. */
export function prepareVectorWorkdir(
  vectors: readonly LaunchVector[], inputsDir: string,
): VectorWorkdir {
  const dir = mkdtempSync(join(tmpdir(), 'parma-sim-launch-vectors-'));
  mkdirSync(dir, { recursive: true });
  for (const vector of vectors) {
    for (const [name, sha] of Object.entries(vector.inputs)) {
      const target = join(dir, name);
      if (existsSync(target)) continue;
      if (vector.recipe_only_inputs?.includes(name) === true) {
        const bytes = fromRecipe(vector.input_recipes?.[name] ?? '', inputsDir);
        const actual = sha256Hex(bytes);
        if (actual !== sha) {
          throw new Error(`recipe for ${name} gives sha256 ${actual}, recorded ${sha}`);
        }
        writeFileSync(target, bytes);
      } else {
        symlinkSync(join(inputsDir, name), target);
      }
    }
  }
  return {
    dir, pathOf: (name) => join(dir, name),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A vector's argv with every input file name replaced by its absolute path in `workdir`. */
export function absoluteArgs(vector: LaunchVector, workdir: VectorWorkdir): string[] {
  return vector.args.map((arg) => (Object.hasOwn(vector.inputs, arg) ? workdir.pathOf(arg) : arg));
}

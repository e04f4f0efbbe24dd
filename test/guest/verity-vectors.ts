/**
 * Goal: give the dm-verity tests the vectors of ../shared/testdata/vectors/dm-verity.json and their
 * input images: shipped files read from inputs/, recipe-only ones regenerated from the recipe and
 * checked against the recorded sha256 before any test uses them.
 * Method: the recipes are "all bytes 0x00" or "byte i = (i*A+B) mod M" (SOURCES.md); the tar2ext4
 * vectors hash their shipped intermediate ext4 image.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { patternBytes } from '../hypervisor/vector-inputs.js';
import { shared } from '../support/requires.js';

export type VerityVector = Readonly<{
  id: string;
  param_set: string;
  params: Readonly<{
    hash_algorithm: string; data_block_size: number; hash_block_size: number; hash_type: 0 | 1;
    salt_hex: string; superblock: boolean; data_blocks: number; hash_offset_bytes: number;
  }>;
  veritysetup_args: readonly string[];
  input: Readonly<{
    name: string; size: number; sha256: string; recipe: string; path: string | null;
  }>;
  intermediate_ext4?: Readonly<{ name: string; size: number; sha256: string; path: string }>;
  expected_root_hex: string;
  hash_blocks?: number;
  hash_tree_sha256?: string;
  hash_tree_size?: number;
  hcsshim_agrees_with_veritysetup?: boolean;
  hcsshim_tree_sha256?: string;
}>;

/** The dm-verity vectors of ../shared; only inside a sharedTest / sharedTests. */
export function loadVerityVectors(): readonly VerityVector[] {
  return JSON.parse(readFileSync(shared('vectors', 'dm-verity.json'), 'utf8')) as VerityVector[];
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const PATTERN = /byte i = \(i\*(\d+)\+(\d+)\) mod (\d+) for i in \[0, (\d+)\)/;

/**
 * The image `veritysetup format` ran on: for tar2ext4 vectors the intermediate ext4, otherwise the
 * input (read, or rebuilt from its recipe). Throws if its sha256 is not the recorded one.
 */
export function vectorImage(vector: VerityVector, inputsDir: string): Uint8Array {
  const source = vector.intermediate_ext4 ?? vector.input;
  let bytes: Uint8Array;
  if (source.path !== null) {
    bytes = new Uint8Array(readFileSync(join(inputsDir, source.name)));
  } else if (/all bytes 0x00/.test(vector.input.recipe)) {
    bytes = new Uint8Array(vector.input.size);
  } else {
    const match = PATTERN.exec(vector.input.recipe);
    if (match === null) throw new Error(`${vector.id}: unknown recipe ${vector.input.recipe}`);
    bytes = patternBytes(Number(match[4]), Number(match[1]), Number(match[2]), Number(match[3]));
  }
  const digest = sha256Hex(bytes);
  if (digest !== source.sha256) throw new Error(`${vector.id}: input sha256 ${digest}`);
  return bytes;
}

/**
 * Models: nothing real. Where parma-sim's own files are at run time: the directory of the
 * package.json named parma-sim, found by walking up from this module. Works from the sources,
 * from dist/, from any other out dir and from an installed package, so shipped assets (test keys,
 * AMD roots) and the version are found the same way everywhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert } from './assert.js';

const PACKAGE_NAME = 'parma-sim';
const MAX_LEVELS = 12;

type Manifest = Readonly<{ name?: unknown; version?: unknown }>;

function findRoot(): Readonly<{ dir: string; manifest: Manifest }> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < MAX_LEVELS; level++) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
      if (manifest.name === PACKAGE_NAME) return { dir, manifest };
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('parma-sim: package root (package.json named parma-sim) not found');
}

/** The directory of parma-sim's package.json. */
export function packageRoot(): string {
  return findRoot().dir;
}

/** parma-sim's version, from its package.json. */
export function packageVersion(): string {
  const { version } = findRoot().manifest;
  assert(typeof version === 'string' && version.length > 0, 'package.json has a version');
  return version;
}

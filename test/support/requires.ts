/**
 * Goal: a test that needs something outside the repository (../shared/testdata, the `openssl` or
 * `veritysetup` CLI) is registered either way: as a test when it is there, as a *skipped* test
 * when it is not, so the closing line `N passed, N failed, N skipped` counts it. A test that
 * returned early, or was never registered, would be counted as passed or not at all.
 * Method: uvu's own `test.skip`; one notice per suite and requirement names what is missing.
 * CI has everything: .ci/run fails when a test is skipped.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test as uvuTest, type Test } from 'uvu';
import { HAVE_TESTDATA, TESTDATA_DIR } from './paths.js';

export type Requirement = 'testdata' | 'openssl' | 'veritysetup';

function runs(command: string, args: readonly string[]): boolean {
  return spawnSync(command, [...args], { encoding: 'utf8' }).status === 0;
}

const probes: Readonly<Record<Requirement, () => boolean>> = {
  testdata: () => HAVE_TESTDATA,
  openssl: () => runs('openssl', ['version']),
  veritysetup: () => runs('veritysetup', ['--version']),
};

const known = new Map<Requirement, boolean>();

/** Whether `requirement` is met on this machine (probed once per process). */
export function available(requirement: Requirement): boolean {
  let have = known.get(requirement);
  if (have === undefined) {
    have = probes[requirement]();
    known.set(requirement, have);
  }
  return have;
}

const WHAT: Readonly<Record<Requirement, string>> = {
  testdata: '../shared/testdata not found (bare clone)',
  openssl: 'openssl not on PATH',
  veritysetup: 'veritysetup not on PATH',
};

const noticed = new Set<string>();

function notice(requirement: Requirement, name: string): void {
  const suite = name.split(':')[0] ?? name;
  const key = `${requirement} ${suite}`;
  if (noticed.has(key)) return;
  noticed.add(key);
  console.log(`skip ${suite}: ${WHAT[requirement]}; its tests are counted as skipped`);
}

type Body = () => void | Promise<void>;

/**
 * Registers `body` as test `name` on `suite` (uvu's default `test` unless given) when every
 * requirement is met; otherwise as a skipped test.
 */
export function testWith(
  requirements: Requirement | readonly Requirement[], name: string, body: Body,
  suite: Test = uvuTest,
): void {
  const list = typeof requirements === 'string' ? [requirements] : requirements;
  const missing = list.find((requirement) => !available(requirement));
  if (missing !== undefined) notice(missing, name);
  register(missing, name, body, suite);
}

/** Registers `body` as a test, or as a skipped one when `missing` names what it lacks. */
export function register(
  missing: Requirement | undefined, name: string, body: Body, suite: Test,
): void {
  if (missing === undefined) {
    suite(name, body);
    return;
  }
  suite.skip(name, body);
}

/** A test that reads ../shared/testdata. */
export function sharedTest(name: string, body: Body, suite: Test = uvuTest): void {
  testWith('testdata', name, body, suite);
}

/**
 * Tests made from data in ../shared (one per vector, per report, per policy): `register` runs
 * when the data is there. Without it the count is unknown, so one skipped test named `name`
 * stands for the whole family.
 */
export function sharedTests(name: string, register: () => void, suite: Test = uvuTest): void {
  if (available('testdata')) {
    register();
    return;
  }
  notice('testdata', name);
  suite.skip(name, () => undefined);
}

/** The path of a file under ../shared/testdata; only inside a sharedTest or sharedTests. */
export function shared(...parts: string[]): string {
  if (!available('testdata')) throw new Error('shared(): used outside a sharedTest');
  return join(TESTDATA_DIR, ...parts);
}

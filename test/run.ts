/**
 * Goal: `npm test`'s runner: uvu over every compiled `*.test.js`, closing with the plain summary
 * line `N passed, N failed, N skipped` that CI tooling reads, and uvu's own exit code.
 * Method: uvu's own parse + run (the same thing its CLI does); the totals are read back from the
 * summary uvu prints, so nothing about how tests run changes. uvu's `Total` counts the tests that
 * ran; skipped tests (`test.skip`, see test/support/requires.ts) are counted apart from it.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'uvu/parse';
import { run } from 'uvu/run';

const here = dirname(fileURLToPath(import.meta.url));
const pattern = process.argv[2] === undefined ? /\.test\.js$/ : new RegExp(process.argv[2]);

let printed = '';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (printed.length > 4096) printed = printed.slice(-4096);   // only the summary is needed
  return write(chunk, ...rest);
}) as typeof process.stdout.write;

const { suites } = await parse(here, pattern);
await run(suites.filter((suite) => suite.file.endsWith('.test.js')), { bail: false });
process.stdout.write = write;

const plain = printed.replace(/\u001b\[[0-9;]*m/g, '');
const count = (label: string): number | undefined => {
  const match = new RegExp(`${label}:\\s+(\\d+)`).exec(plain);
  return match === null ? undefined : Number(match[1]);
};
const total = count('Total');
const passed = count('Passed');
const skipped = count('Skipped') ?? 0;
if (total === undefined || passed === undefined) {
  process.stderr.write('test/run: no uvu summary was printed\n');
  process.exitCode = 1;
} else {
  const failed = total - passed;
  process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  if (failed > 0) process.exitCode = 1;
}

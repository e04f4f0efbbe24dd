/**
 * Goal: `npm run bench` — run every test/bench/*.bench.js and print one table with ratios
 * against the reference tools measured in the same run. Optional argument: a name filter.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchRow } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

function printRow(row: BenchRow): void {
  const ours = `${format(row.value)} ${row.unit}`;
  const reference = row.reference
    ? `${row.reference.name}: ${format(row.reference.value)} ${row.reference.unit}`
    : '';
  const ratio = row.ratio === undefined ? '' : `ratio ${row.ratio.toFixed(2)}`;
  console.log(
    `  ${row.name.padEnd(52)} ${ours.padStart(18)}  ${ratio.padEnd(12)} ${reference}`
      + `${row.note ? `  (${row.note})` : ''}`,
  );
}

const files = readdirSync(here).filter((f) => f.endsWith('.bench.js')).sort();
for (const file of files) {
  const module = (
    await import(pathToFileURL(join(here, file)).href)
  ) as { benches: readonly Bench[] };
  for (const bench of module.benches) {
    if (filter !== undefined && !bench.name.includes(filter)) continue;
    console.log(`${bench.name}`);
    for (const row of await bench.run()) printRow(row);
  }
}

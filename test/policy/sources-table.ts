/**
 * Goal: read the expectations of the policy tests from the shared data, not from our own output.
 * Method: parse the "## Files" table of shared/testdata/policies/SOURCES.md into rows
 * {file, sha256, hostData}; hostData is undefined for rows marked '-' (not a policy).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type SourcesRow = Readonly<{ file: string; sha256: string; hostData: string | undefined;
  howObtained: string }>;

export function readSourcesTable(policiesDir: string): SourcesRow[] {
  const text = readFileSync(join(policiesDir, 'SOURCES.md'), 'utf8');
  const section = text.slice(text.indexOf('## Files'));
  const rows: SourcesRow[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells.length !== 9) {
      throw new Error(`SOURCES.md row with ${cells.length} cells: ${line.slice(0, 80)}`);
    }
    const file = /^`([^`]+)`$/.exec(cells[0]!)?.[1];
    const sha256 = /[0-9a-f]{64}/.exec(cells[7]!)?.[0];
    if (file === undefined || sha256 === undefined) {
      throw new Error(`SOURCES.md row not understood: ${line.slice(0, 80)}`);
    }
    rows.push({ file, sha256, hostData: /[0-9a-f]{64}/.exec(cells[8]!)?.[0],
      howObtained: cells[5]! });
  }
  return rows;
}

/**
 * Models: nothing real. `parma-sim snp show FILE [--product P] [--non-strict]`: decode a report
 * and print its JSON view (models/snp/report-view.ts) with sorted keys.
 * FILE is the raw 1184-byte report, or its hex text (what `snp report` prints without --out);
 * `-` reads stdin. Exit 30 on a malformed report or one that breaks an ABI rule
 * (models/snp/report-abi.ts, shared with `snp verify`; `--non-strict` lists them instead), 40 when
 * the file cannot be read.
 */
import { fromHex } from '../kernel/bytes.js';
import { EXIT_OK } from '../kernel/errors.js';
import { reportJson } from '../api/verify.js';
import { productFlag } from './flags.js';
import type { CliIo } from './types.js';
import { newProgram, parseProgram } from './dispatch.js';
import { readInput } from './files.js';

/** Raw bytes, or hex text of them (whitespace ignored), as the report bytes. */
export function reportBytesFromFile(content: Uint8Array): Uint8Array {
  if (content.length === 0x4a0) return content;
  const text = new TextDecoder('latin1').decode(content).replace(/\s+/g, '');
  if (text.length > 0 && /^(0x)?[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) {
    try {
      return fromHex(text, 'report hex');
    } catch {
      return content;
    }
  }
  return content;
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = newProgram('parma-sim snp show', io)
    .description('Decode an ATTESTATION_REPORT (raw or hex) and print it as JSON.')
    .argument('<file>', 'report file (raw 1184 bytes or hex text); - for stdin')
    .option('--product <product>', 'Milan, Genoa or Turin: required to be the CPUID product (v3+), '
      + 'or chooses the TCB layout of a v2 report')
    .option('--non-strict', 'show a report that breaks ABI rules (reserved bytes or bits, VMPL,'
      + ' SIGNATURE_ALGO), listing them under abi_violations, instead of rejecting it');
  const stop = parseProgram(program, argv, io);
  if (stop !== undefined) return stop;
  const flags = program.opts<{ product?: string; nonStrict?: boolean }>();
  const path = program.args[0]!;
  const bytes = reportBytesFromFile(readInput(path));
  const product = flags.product === undefined ? undefined : productFlag(flags.product);
  const text = reportJson(bytes, {
    strict: flags.nonStrict !== true, ...(product === undefined ? {} : { product }),
  });
  io.stdout(`${text}\n`);
  return EXIT_OK;
}

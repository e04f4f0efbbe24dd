/**
 * Models: nothing real. `parma-sim snp report` (placeholder until its issue lands).
 */
import type { CliIo } from './types.js';
import { SimError } from '../kernel/errors.js';

export async function run(_argv: readonly string[], _io: CliIo): Promise<number> {
  throw new SimError('SIM_USAGE', {}, 'parma-sim snp report is not implemented yet');
}

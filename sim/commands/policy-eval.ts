/**
 * Models: nothing real. `parma-sim policy eval` (placeholder until the policy engine (issue 4 item 3) lands).
 */
import type { CliIo } from './types.js';
import { SimError } from '../kernel/errors.js';

export async function run(_argv: readonly string[], _io: CliIo): Promise<number> {
  throw new SimError('SIM_USAGE', {}, 'parma-sim policy eval is not implemented yet');
}

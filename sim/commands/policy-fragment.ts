/**
 * Models: nothing real. `parma-sim policy fragment` (placeholder until policy fragments (issue 4 item 4) lands).
 */
import type { CliIo } from './types.js';
import { SimError } from '../kernel/errors.js';

export async function run(_argv: readonly string[], _io: CliIo): Promise<number> {
  throw new SimError('SIM_USAGE', {}, 'parma-sim policy fragment is not implemented yet');
}

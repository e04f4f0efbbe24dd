/**
 * Models: nothing real. A worker thread of `parma-sim check --workers W`: runs the campaign
 * batches it is given (sim/commands/check-campaign.ts runBatch) and posts each result back.
 * Method: workerData = { parameters, batches }; one message per batch, in the order given; the
 * thread exits when done (an exception ends it with a non-zero code, which the parent reports).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../kernel/assert.js';
import type { CampaignParameters } from '../check/shards.js';
import { runBatch } from './check-campaign.js';

const data = workerData as { parameters: CampaignParameters; batches: number[] };
assert(parentPort !== null, 'run as a worker thread');
assert(Array.isArray(data.batches) && data.batches.length > 0, 'batches to run');
for (const batch of data.batches) parentPort.postMessage(runBatch(data.parameters, batch));

/**
 * Goal: the child process of the cross-process determinism test: prints the benign run's trace
 * hash for the seed in argv[2].
 * Method: the same function the parent calls, in a fresh process (cold memo, fresh module state).
 */
import { benignTraceHash } from './world-support.js';

process.stdout.write(`${benignTraceHash(process.argv[2] ?? '1')}\n`);

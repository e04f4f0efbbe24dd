#!/usr/bin/env node
// The parma-sim command. Runs the compiled JS (built by `npm run build`, which `npm ci` runs
// through `prepare`): starting through tsx would cost ~250 ms per invocation.
import { main } from '../dist/sim/cli.js';

// A reader that goes away (`parma-sim … | head`) is not an error of ours: stop quietly, as
// other command-line tools do, instead of dying with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// The parma-sim command. Runs the compiled JS (built by `npm run build`, which `npm ci` runs
// through `prepare`): starting through tsx would cost ~250 ms per invocation.
import { main } from '../dist/sim/cli.js';

process.exitCode = await main(process.argv.slice(2));

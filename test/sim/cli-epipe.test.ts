/**
 * Goal: `parma-sim … | head` ends quietly: a reader that has closed the pipe is not an error of
 * ours (no EPIPE stack trace, exit 0).
 * Method: spawn bin/parma-sim.js with its stdout on a pipe whose reading end this process closes
 * at once, so the command's first write meets a closed pipe; check its exit code and stderr.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../support/paths.js';

test('sim/cli: writing to a closed pipe (parma-sim … | head) exits 0 with nothing on stderr',
  async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'parma-sim.js'), 'scenario',
      'list'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.is(stderr, '');
    assert.is(code, 0);
  });

test.run();

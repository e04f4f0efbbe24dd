/**
 * Goal: run `parma-sim` in tests, in-process (fast) or as a real child process (exit codes, no
 * stack traces on stderr).
 */
import { spawnSync } from 'node:child_process';
import { main } from '../../sim/cli.js';
import { CLI_JS } from './paths.js';

export type CliResult = Readonly<{ code: number; stdout: string; stderr: string }>;

/** Runs the CLI in this process with captured output. */
export async function runCli(argv: readonly string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; },
  });
  return { code, stdout, stderr };
}

/**
 * Runs the compiled CLI as a child process. `input` is written to its stdin; a process still
 * running after `timeoutMs` is killed and reported as code -1.
 */
export function spawnCli(
  argv: readonly string[],
  options: Readonly<{ cwd?: string; input?: string | Uint8Array; timeoutMs?: number }> = {},
): CliResult {
  const result = spawnSync(process.execPath, [CLI_JS, ...argv], {
    cwd: options.cwd, input: options.input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

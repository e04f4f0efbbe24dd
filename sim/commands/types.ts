/**
 * Models: nothing real. The contract between sim/cli.ts and each subcommand module.
 * A subcommand parses its flags, calls the library (sim/index.ts or a model), renders, and returns
 * an exit code. It throws SimError for bad input; cli.ts turns that into a message and exit code.
 */
export type CliIo = Readonly<{
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}>;

export type CommandModule = Readonly<{
  run: (argv: readonly string[], io: CliIo) => Promise<number>;
}>;

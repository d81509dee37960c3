import type { Command } from "commander";
import { type ConnectionOptions, type CoordinatorConnection, connectToCoordinator } from "./coordinator-connection.js";
import type { OutputFormat } from "./output/output-format.js";

/** What a client command works with: the coordinator connection and the `--output` format. */
export interface CommandContext extends CoordinatorConnection {
  format: OutputFormat;
}

interface GlobalOptions extends ConnectionOptions {
  output?: OutputFormat;
}

/** Runs a command's body with a connection that is closed whatever happens. */
export async function withCoordinator<T>(command: Command, run: (context: CommandContext) => Promise<T>): Promise<T> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const connection = connectToCoordinator(options);
  try {
    return await run({ ...connection, format: options.output ?? "table" });
  } finally {
    connection.close();
  }
}

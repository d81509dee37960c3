#!/usr/bin/env node
import { SentraError } from "@sentra/common";
import { Command } from "commander";
import { registerAdminCommands } from "./commands/admin-commands.js";
import { registerEstateCommands } from "./commands/estate-commands.js";

/** `sentra`: the command line of automation clients and operators. commander parses the flags. */
const program = new Command()
  .name("sentra")
  .description("Sentra control plane: estate, arbitrage, migrations, rollouts, credentials")
  .option("--coordinator <host:port>", "coordinator gRPC address (env SENTRA_COORDINATOR)")
  .option("--token <token>", "API token (env SENTRA_TOKEN; prefer the environment: flags show in ps)")
  .option("--ca <file>", "CA certificate for a TLS coordinator (env SENTRA_TLS_CA)")
  .showHelpAfterError();

registerEstateCommands(program);
registerAdminCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const sentraError = SentraError.from(error);
  process.stderr.write(`sentra: ${sentraError.code}: ${sentraError.message}\n`);
  process.exit(1);
});

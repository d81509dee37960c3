#!/usr/bin/env node
import { SentraError } from "@sentra/common";
import { Command } from "commander";
import { registerAdminCommands } from "./commands/admin-commands.js";
import { registerEstateCommands } from "./commands/estate-commands.js";
import { registerSecurityCommands } from "./commands/security-commands.js";
import { describeFailure } from "./describe-failure.js";

/** `sentra`: the command line of automation clients and operators. commander parses the flags. */
const program = new Command()
  .name("sentra")
  .description("Sentra control plane: estate, arbitrage, migrations, rollouts, credentials")
  .option("--coordinator <host:port>", "coordinator gRPC address (env SENTRA_COORDINATOR)")
  .option("--token <token>", "API token (env SENTRA_TOKEN; prefer the environment or a file: flags show in ps)")
  .option("--token-file <file>", "file holding the API token (env SENTRA_TOKEN_FILE; default .sentra/admin-token)")
  .option("--ca <file>", "CA certificate for a TLS coordinator (env SENTRA_TLS_CA)")
  .showHelpAfterError();

registerEstateCommands(program);
registerSecurityCommands(program);
registerAdminCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`sentra: ${describeFailure(SentraError.from(error))}\n`);
  process.exit(1);
});

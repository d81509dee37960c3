import { Command, Option } from "commander";
import { registerAdminCommands } from "./commands/admin-commands.js";
import { registerArbitrageCommands } from "./commands/arbitrage-commands.js";
import { registerCompletionCommand } from "./commands/completion-command.js";
import { registerEstateCommands } from "./commands/estate-commands.js";
import { registerReportCommand } from "./commands/report-command.js";
import { registerRolloutCommands } from "./commands/rollout-commands.js";
import { registerSecurityCommands } from "./commands/security-commands.js";
import { OUTPUT_FORMATS } from "./output/output-format.js";

/** `sentra`: the command line of automation clients and operators. commander parses the flags. */
export function createProgram(): Command {
  const program = new Command()
    .name("sentra")
    .description("Sentra control plane: estate, arbitrage, migrations, rollouts, credentials")
    .option("--coordinator <host:port>", "coordinator gRPC address (env SENTRA_COORDINATOR)")
    .option("--token <token>", "API token (env SENTRA_TOKEN; prefer the environment or a file: flags show in ps)")
    .option("--token-file <file>", "file holding the API token (env SENTRA_TOKEN_FILE; default .sentra/admin-token)")
    .option("--ca <file>", "CA certificate for a TLS coordinator (env SENTRA_TLS_CA)")
    .addOption(
      new Option("-o, --output <format>", "table for people; json or yaml: the API's JSON mapping, for scripts")
        .choices(OUTPUT_FORMATS)
        .default("table"),
    )
    .showHelpAfterError()
    // Thrown instead of exiting, so main decides the exit code (usage errors are 2, not commander's 1).
    .exitOverride();

  registerEstateCommands(program);
  registerArbitrageCommands(program);
  registerRolloutCommands(program);
  registerReportCommand(program);
  registerSecurityCommands(program);
  registerAdminCommands(program);
  registerCompletionCommand(program);
  return program;
}

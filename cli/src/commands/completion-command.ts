import { SentraError } from "@sentra/common";
import type { Command } from "commander";
import { bashCompletionScript, fishCompletionScript, zshCompletionScript } from "../completion/shell-completion.js";

const SCRIPTS: Record<string, (program: Command) => string> = {
  bash: bashCompletionScript,
  zsh: zshCompletionScript,
  fish: fishCompletionScript,
};

/** `sentra completion bash|zsh|fish`: a completion script generated from the command tree. */
export function registerCompletionCommand(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script: source <(sentra completion bash)")
    .argument("<shell>", "bash, zsh or fish")
    .action((shell: string) => {
      const script = SCRIPTS[shell];
      if (!script) throw SentraError.invalidArgument("<shell>", "must be bash, zsh or fish");
      process.stdout.write(script(program));
    });
}

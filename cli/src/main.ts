#!/usr/bin/env node
import { SentraError } from "@sentra/common";
import { CommanderError } from "commander";
import { describeFailure } from "./describe-failure.js";
import { CommandOutcome, ExitCode, exitCodeOf } from "./exit-codes.js";
import { createProgram } from "./program.js";

void createProgram()
  .parseAsync(process.argv)
  .then(
    () => ExitCode.OK,
    (error: unknown): number => {
      if (error instanceof CommanderError) {
        // commander has printed the problem (or the help / version, which exit 0).
        return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
      }
      if (error instanceof CommandOutcome) {
        process.stderr.write(`sentra: ${error.message}\n`);
        return error.exitCode;
      }
      const failure = SentraError.from(error);
      process.stderr.write(`sentra: ${describeFailure(failure)}\n`);
      return exitCodeOf(failure);
    },
  )
  .then((code) => {
    // exitCode, not exit(): stdout is flushed before the process ends, even into a pipe.
    process.exitCode = code;
  });

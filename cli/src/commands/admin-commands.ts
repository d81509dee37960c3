import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { createNatsAuthConfig } from "../nats/nats-auth-config.js";
import { createDevelopmentPki } from "../pki/development-pki.js";

/** `sentra certs init` and `sentra nats-config`: credentials for a development estate. */
export function registerAdminCommands(program: Command): void {
  program
    .command("certs")
    .description("certificates for mTLS between the coordinator and satellites")
    .command("init")
    .description("create a development CA, a coordinator certificate and one per satellite")
    .requiredOption("--dir <dir>", "folder to write ca.crt, coordinator.{crt,key}, satellite-<id>.{crt,key}")
    .requiredOption("--satellite <id...>", "satellite ids")
    .option("--host <name...>", "extra DNS names for every certificate")
    .action(async (options: { dir: string; satellite: string[]; host?: string[] }) => {
      const pki = await createDevelopmentPki({
        dir: options.dir,
        satelliteIds: options.satellite,
        hosts: options.host ?? [],
      });
      process.stdout.write(
        `CA: ${pki.caCertificatePath}\ncoordinator: ${pki.coordinator.certificatePath}\n${[...pki.satellites.values()]
          .map((issued) => `${issued.name}: ${issued.certificatePath}`)
          .join("\n")}\nPrivate keys are 0600 beside each certificate.\n`,
      );
    });

  program
    .command("nats-config")
    .description("per-satellite NATS nkey users: a server config and one seed file per identity")
    .requiredOption("--dir <dir>", "folder to write nats-auth.conf and <identity>.nk seed files")
    .requiredOption("--satellite <id...>", "satellite ids")
    .option("--subject-prefix <prefix>", "subject prefix the estate runs under", "")
    .action((options: { dir: string; satellite: string[]; subjectPrefix: string }) => {
      const auth = createNatsAuthConfig({ satelliteIds: options.satellite, subjectPrefix: options.subjectPrefix });
      writeFileSync(join(options.dir, "nats-auth.conf"), auth.serverConfig);
      writeFileSync(join(options.dir, "coordinator.nk"), `${auth.coordinator.seed}\n`, { mode: 0o600 });
      for (const [id, identity] of auth.satellites) {
        writeFileSync(join(options.dir, `satellite-${id}.nk`), `${identity.seed}\n`, { mode: 0o600 });
      }
      process.stdout.write(`Include ${join(options.dir, "nats-auth.conf")} in the nats-server configuration.\n`);
    });
}

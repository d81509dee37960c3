import { createDevelopmentPki, SentraError } from "@sentra/common";
import { SATELLITE_ID_PATTERN } from "@sentra/proto";
import type { Command } from "commander";
import { DEFAULT_NATS_LISTEN, writeNatsServerFiles } from "../nats/nats-server-files.js";

/** `sentra certs init` and `sentra nats-config`: credentials for a development estate. */
export function registerAdminCommands(program: Command): void {
  program
    .command("certs")
    .description("certificates for mTLS between the coordinator and satellites")
    .command("init")
    .description(
      "create a development CA and certificates for the coordinator and each satellite; a CA already in --dir is " +
        "reused and existing certificates are kept, so running it again only adds what is missing",
    )
    .requiredOption("--dir <dir>", "folder to write ca.crt, coordinator.{crt,key}, satellite-<id>.{crt,key}")
    .requiredOption("--satellite <id...>", "satellite ids")
    .option("--host <name...>", "extra DNS names for new certificates (each satellite's advertised gRPC host)")
    .option("--renew", "re-issue the coordinator's and satellites' certificates from the same CA (rotation)")
    .action(async (options: { dir: string; satellite: string[]; host?: string[]; renew?: boolean }) => {
      for (const id of options.satellite) {
        if (!SATELLITE_ID_PATTERN.test(id)) {
          throw SentraError.invalidArgument(
            "--satellite",
            `${JSON.stringify(id)} is not a satellite id (${SATELLITE_ID_PATTERN})`,
          );
        }
      }
      const pki = await createDevelopmentPki({
        dir: options.dir,
        satelliteIds: options.satellite,
        hosts: options.host ?? [],
        renew: options.renew === true,
      });
      const issued = [pki.coordinator, ...pki.satellites.values()];
      process.stdout.write(
        `CA: ${pki.caCertificatePath}${pki.caReused ? " (existing CA reused)" : ""}\n${issued
          .map((certificate) => `${certificate.name}: ${certificate.certificatePath}`)
          .join("\n")}\nPrivate keys are 0600 beside each certificate. Give each process SENTRA_TLS_CA_FILE, ` +
          "SENTRA_TLS_CERT_FILE and SENTRA_TLS_KEY_FILE (docs/security.md).\n",
      );
    });

  program
    .command("nats-config")
    .description("per-satellite NATS nkey users: a nats-server config and one seed file per identity")
    .requiredOption("--dir <dir>", "folder to write nats-server.conf, nats-auth.conf and the .nk seed files")
    .requiredOption("--satellite <id...>", "satellite ids")
    .option("--subject-prefix <prefix>", "subject prefix the estate runs under", "")
    .option("--listen <host:port>", "where nats-server listens", DEFAULT_NATS_LISTEN)
    .option("--jetstream-dir <dir>", "JetStream store directory (default <dir>/jetstream)")
    .action(
      async (options: {
        dir: string;
        satellite: string[];
        subjectPrefix: string;
        listen: string;
        jetstreamDir?: string;
      }) => {
        const files = await writeNatsServerFiles({
          dir: options.dir,
          satelliteIds: options.satellite,
          subjectPrefix: options.subjectPrefix,
          listen: options.listen,
          ...(options.jetstreamDir ? { jetStreamDir: options.jetstreamDir } : {}),
        });
        process.stdout.write(
          [
            `nats-server -c ${files.serverConfigPath}`,
            `coordinator: NATS_URL=${files.url} SENTRA_NATS_NKEY_SEED_FILE=${files.coordinatorSeedPath}`,
            ...[...files.satelliteSeedPaths].map(
              ([id, path]) => `satellite ${id}: NATS_URL=${files.url} SENTRA_NATS_NKEY_SEED_FILE=${path}`,
            ),
            "Seed files are 0600; each new run makes new keys (restart nats-server and the components).",
            "",
          ].join("\n"),
        );
      },
    );
}

import { Inject, Injectable, type OnModuleInit } from "@nestjs/common";
import type { Logger } from "@sentra/common";
import { COORDINATOR_CONFIG, type CoordinatorConfig, LOGGER } from "../config/coordinator-config.js";
import { ApiTokenStore, generateApiToken } from "./api-token-store.js";
import { readOrCreateSecretFile } from "./secret-file.js";
import { API_TOKEN_PATTERN, BOOTSTRAP_ADMIN_TOKEN_NAME, BOOTSTRAP_CREATOR } from "./security-defaults.js";

/**
 * The first admin token, so a fresh estate can be administered at all: `SENTRA_ADMIN_TOKEN`
 * (a deployment's secret), else the token in `SENTRA_ADMIN_TOKEN_FILE`, generated there (0600)
 * when absent. Its hash is made known in MySQL as an admin token named `bootstrap-admin`; once
 * revoked it stays refused. Runs before the gRPC and HTTP servers listen. Logs the file, never
 * the token.
 */
@Injectable()
export class AdminTokenBootstrap implements OnModuleInit {
  constructor(
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(ApiTokenStore) private readonly tokens: ApiTokenStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const { secret, source } = await readOrCreateSecretFile({
      value: this.config.security.adminToken,
      variable: "SENTRA_ADMIN_TOKEN",
      fileVariable: "SENTRA_ADMIN_TOKEN_FILE",
      path: this.config.security.adminTokenFile,
      purpose: "the admin token",
      generate: generateApiToken,
      isValid: (text) => API_TOKEN_PATTERN.test(text),
    });
    const state = await this.tokens.ensure(secret, BOOTSTRAP_ADMIN_TOKEN_NAME, "admin", BOOTSTRAP_CREATOR);
    const where = source.kind === "environment" ? { from: source.variable } : { tokenFile: source.path };
    if (state === "revoked") {
      this.logger.warn(
        where,
        "the bootstrap admin token is revoked and stays refused; to provision a new one, delete tokenFile (or set another SENTRA_ADMIN_TOKEN) and restart",
      );
    } else if (source.kind === "file" && source.generated) {
      this.logger.info(
        { ...where, tokenName: BOOTSTRAP_ADMIN_TOKEN_NAME },
        "admin token generated: read it from tokenFile (logs never show it)",
      );
    } else {
      this.logger.info(
        { ...where, tokenName: BOOTSTRAP_ADMIN_TOKEN_NAME, registered: state === "created" },
        "admin token ready",
      );
    }
    if (source.kind === "file" && source.permissionsTightened) {
      this.logger.warn({ tokenFile: source.path }, "admin token file was readable by others: now 0600");
    }
  }
}

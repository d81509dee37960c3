import { SentraError } from "@sentra/common";
import { ApiTokenRole, type AuditEvent, msOf } from "@sentra/proto";
import type { Command } from "commander";
import { type ConnectionOptions, connectToCoordinator } from "../coordinator-connection.js";
import { printTable } from "../print-table.js";

const ROLES: Record<string, ApiTokenRole> = {
  viewer: ApiTokenRole.VIEWER,
  operator: ApiTokenRole.OPERATOR,
  admin: ApiTokenRole.ADMIN,
};
/** @default 20 — audit events `sentra audit` shows without --limit. */
const DEFAULT_AUDIT_LIMIT = 20;
/** The coordinator's largest audit page. */
const MAX_AUDIT_PAGE = 500;
/** Token ids are 16 hex digits. */
const TOKEN_ID = /^[0-9a-f]{16}$/;

/** `sentra token create|revoke|list` and `sentra audit`: credentials and the audit log, over gRPC (admin). */
export function registerSecurityCommands(program: Command): void {
  const token = program.command("token").description("API tokens (admin): create, revoke, list");

  token
    .command("create")
    .description("create an API token; prints it once on stdout (details on stderr)")
    .requiredOption("--name <name>", "a unique name: 1–128 letters, digits and . _ : @ -")
    .requiredOption("--role <role>", "viewer, operator or admin")
    .action(async (options: { name: string; role: string }, command: Command) => {
      const role = ROLES[options.role];
      if (role === undefined) throw SentraError.invalidArgument("--role", "must be viewer, operator or admin");
      const connection = connectToCoordinator(command.optsWithGlobals<ConnectionOptions>());
      try {
        const created = await connection.client.createApiToken({ name: options.name, role });
        process.stderr.write(
          `created token ${created.apiToken?.id} "${options.name}" (${options.role}); it is shown only now, store it:\n`,
        );
        process.stdout.write(`${created.token}\n`);
      } finally {
        connection.close();
      }
    });

  token
    .command("revoke")
    .description("revoke a token by id, or every token with a name; it stops working on the next call")
    .argument("<id-or-name>", "a token id (16 hex digits) or name")
    .action(async (idOrName: string, _options: unknown, command: Command) => {
      const connection = connectToCoordinator(command.optsWithGlobals<ConnectionOptions>());
      try {
        let revoked: Awaited<ReturnType<typeof connection.client.revokeApiToken>>["revoked"];
        try {
          // An id-looking argument is tried as an id first, then as a name.
          const selector = TOKEN_ID.test(idOrName) ? ("id" as const) : ("name" as const);
          revoked = (await connection.client.revokeApiToken({ selector: { case: selector, value: idOrName } })).revoked;
        } catch (error) {
          if (!(TOKEN_ID.test(idOrName) && SentraError.from(error).code === "NOT_FOUND")) throw error;
          revoked = (await connection.client.revokeApiToken({ selector: { case: "name", value: idOrName } })).revoked;
        }
        for (const record of revoked) process.stdout.write(`revoked ${record.id} "${record.name}"\n`);
      } finally {
        connection.close();
      }
    });

  token
    .command("list")
    .description("API tokens (never the tokens themselves)")
    .option("--all", "also revoked tokens")
    .action(async (options: { all?: boolean }, command: Command) => {
      const connection = connectToCoordinator(command.optsWithGlobals<ConnectionOptions>());
      try {
        const { apiTokens } = await connection.client.listApiTokens({ includeRevoked: options.all ?? false });
        printTable(
          ["ID", "NAME", "ROLE", "CREATED", "CREATED BY", "LAST USED", "REVOKED"],
          apiTokens.map((record) => [
            record.id,
            record.name,
            roleName(record.role),
            isoOf(record.createdAt),
            record.createdBy,
            isoOf(record.lastUsedAt),
            isoOf(record.revokedAt),
          ]),
        );
      } finally {
        connection.close();
      }
    });

  program
    .command("audit")
    .description("the audit log (admin): mutating and refused calls, newest first")
    .option("--limit <n>", `events to show (default ${DEFAULT_AUDIT_LIMIT})`)
    .option("--principal <name>", "only this token name")
    .option("--action <action>", 'only this action (e.g. "Migrate")')
    .option("--result <code>", 'only this result (e.g. "PERMISSION_DENIED")')
    .action(
      async (options: { limit?: string; principal?: string; action?: string; result?: string }, command: Command) => {
        const limit = options.limit === undefined ? DEFAULT_AUDIT_LIMIT : Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1) throw SentraError.invalidArgument("--limit", "a whole number ≥ 1");
        const connection = connectToCoordinator(command.optsWithGlobals<ConnectionOptions>());
        try {
          const events: AuditEvent[] = [];
          let pageToken = "";
          do {
            const page = await connection.client.listAuditEvents({
              principal: options.principal ?? "",
              action: options.action ?? "",
              result: options.result ?? "",
              pageSize: Math.min(MAX_AUDIT_PAGE, limit - events.length),
              pageToken,
            });
            events.push(...page.events);
            pageToken = page.nextPageToken;
          } while (pageToken && events.length < limit);
          printTable(
            ["AT", "PRINCIPAL", "ROLE", "CHANNEL", "ACTION", "RESULT", "SOURCE", "TARGET"],
            events.map((event) => [
              isoOf(event.at),
              event.principal,
              roleName(event.role),
              event.channel,
              event.action,
              event.result,
              event.source,
              event.target.length > 80 ? `${event.target.slice(0, 79)}…` : event.target,
            ]),
          );
        } finally {
          connection.close();
        }
      },
    );
}

function roleName(role: ApiTokenRole): string {
  return role === ApiTokenRole.UNSPECIFIED ? "-" : ApiTokenRole[role].toLowerCase();
}

function isoOf(timestamp: Parameters<typeof msOf>[0]): string {
  return timestamp ? new Date(msOf(timestamp)).toISOString().replace(/\.\d+Z$/, "Z") : "-";
}

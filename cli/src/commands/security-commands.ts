import { create } from "@bufbuild/protobuf";
import { SentraError } from "@sentra/common";
import {
  ApiTokenRole,
  type AuditEvent,
  CreateApiTokenResponseSchema,
  ListApiTokensResponseSchema,
  ListAuditEventsResponseSchema,
  msOf,
  RevokeApiTokenResponseSchema,
} from "@sentra/proto";
import type { Command } from "commander";
import { withCoordinator } from "../command-context.js";
import { writeMessage } from "../output/output-format.js";

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
      await withCoordinator(command, async (context) => {
        const created = await context.client.createApiToken({ name: options.name, role });
        process.stderr.write(
          `created token ${created.apiToken?.id} "${options.name}" (${options.role}); it is shown only now, store it:\n`,
        );
        // The table form is the bare token, so `TOKEN=$(sentra token create ...)` works.
        writeMessage(context.format, CreateApiTokenResponseSchema, created, () => created.token);
      });
    });

  token
    .command("revoke")
    .description("revoke a token by id, or every token with a name; it stops working on the next call")
    .argument("<id-or-name>", "a token id (16 hex digits) or name")
    .action(async (idOrName: string, _options: unknown, command: Command) =>
      withCoordinator(command, async (connection) => {
        let revoked: Awaited<ReturnType<typeof connection.client.revokeApiToken>>["revoked"];
        try {
          // An id-looking argument is tried as an id first, then as a name.
          const selector = TOKEN_ID.test(idOrName) ? ("id" as const) : ("name" as const);
          revoked = (await connection.client.revokeApiToken({ selector: { case: selector, value: idOrName } })).revoked;
        } catch (error) {
          if (!(TOKEN_ID.test(idOrName) && SentraError.from(error).code === "NOT_FOUND")) throw error;
          revoked = (await connection.client.revokeApiToken({ selector: { case: "name", value: idOrName } })).revoked;
        }
        writeMessage(
          connection.format,
          RevokeApiTokenResponseSchema,
          create(RevokeApiTokenResponseSchema, { revoked }),
          () => revoked.map((record) => `revoked ${record.id} "${record.name}"`).join("\n"),
        );
      }),
    );

  token
    .command("list")
    .description("API tokens (never the tokens themselves)")
    .option("--all", "also revoked tokens")
    .action(async (options: { all?: boolean }, command: Command) =>
      withCoordinator(command, async (context) => {
        const response = await context.client.listApiTokens({ includeRevoked: options.all ?? false });
        writeMessage(context.format, ListApiTokensResponseSchema, response, () => ({
          headers: ["ID", "NAME", "ROLE", "CREATED", "CREATED BY", "LAST USED", "REVOKED"],
          rows: response.apiTokens.map((record) => [
            record.id,
            record.name,
            roleName(record.role),
            isoOf(record.createdAt),
            record.createdBy,
            isoOf(record.lastUsedAt),
            isoOf(record.revokedAt),
          ]),
        }));
      }),
    );

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
        await withCoordinator(command, async (connection) => {
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
          const response = create(ListAuditEventsResponseSchema, { events, nextPageToken: pageToken });
          writeMessage(connection.format, ListAuditEventsResponseSchema, response, () => ({
            headers: ["AT", "PRINCIPAL", "ROLE", "CHANNEL", "ACTION", "RESULT", "SOURCE", "TARGET"],
            rows: events.map((event) => [
              isoOf(event.at),
              event.principal,
              roleName(event.role),
              event.channel,
              event.action,
              event.result,
              event.source,
              event.target.length > 80 ? `${event.target.slice(0, 79)}…` : event.target,
            ]),
          }));
        });
      },
    );
}

function roleName(role: ApiTokenRole): string {
  return role === ApiTokenRole.UNSPECIFIED ? "-" : ApiTokenRole[role].toLowerCase();
}

function isoOf(timestamp: Parameters<typeof msOf>[0]): string {
  return timestamp ? new Date(msOf(timestamp)).toISOString().replace(/\.\d+Z$/, "Z") : "-";
}

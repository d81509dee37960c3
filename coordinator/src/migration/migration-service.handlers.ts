import { Injectable } from "@nestjs/common";
import { SentraError } from "@sentra/common";
import { type CoordinatorService, type ServiceImplementation, timestampFromMs } from "@sentra/proto";
import { AsyncQueue } from "./async-queue.js";
import { MigrationService } from "./migration.service.js";
import { migrateInputSchema, parseInput, planInputSchema } from "./migration-input.js";
import { toMigrationMessage } from "./migration-record.js";
import { OpportunityMonitor, type OpportunityRanking } from "./opportunity-monitor.service.js";

type ArbitrageMethods =
  | "listOpportunities"
  | "watchOpportunities"
  | "planMigration"
  | "migrate"
  | "getMigration"
  | "listMigrations"
  | "watchMigrations";

/** CoordinatorService handlers for arbitrage and migrations (joined into the one service by the gRPC module). */
@Injectable()
export class MigrationServiceHandlers {
  constructor(
    private readonly migrations: MigrationService,
    private readonly monitor: OpportunityMonitor,
  ) {}

  implementation(): Pick<ServiceImplementation<typeof CoordinatorService>, ArbitrageMethods> {
    const migrations = this.migrations;
    const monitor = this.monitor;
    const rankingMessage = (ranking: OpportunityRanking, limit = 0) => ({
      opportunities: limit > 0 ? ranking.messages.slice(0, limit) : [...ranking.messages],
      computedAt: timestampFromMs(ranking.computedAtMs),
    });
    return {
      listOpportunities: async (request) => rankingMessage(await monitor.current(), request.limit),

      async *watchOpportunities(_request, context) {
        const queue = new AsyncQueue<OpportunityRanking>(16);
        const unsubscribe = monitor.subscribe(
          (ranking, changed) => {
            if (changed) queue.push(ranking);
          },
          () => queue.close(),
        );
        const onAbort = (): void => queue.close();
        context.signal.addEventListener("abort", onAbort, { once: true });
        try {
          yield rankingMessage(await monitor.current());
          for await (const ranking of queue) yield rankingMessage(ranking);
        } finally {
          context.signal.removeEventListener("abort", onAbort);
          unsubscribe();
        }
      },

      planMigration: async (request) => {
        const input = parseInput(planInputSchema, request, "proto");
        return { plan: await migrations.plan(input.workload, input.targetRegion) };
      },

      migrate: async (request, context) => {
        const input = parseInput(migrateInputSchema, request, "proto");
        const { record, replayed } = await migrations.migrate({
          workload: input.workload,
          targetRegion: input.targetRegion,
          idempotencyKey: input.idempotencyKey,
          requestedBy: input.requestedBy ?? context.principal?.name ?? `grpc ${context.peer}`,
          trigger: "manual",
        });
        return { migration: toMigrationMessage(record), replayed };
      },

      getMigration: async (request) => {
        if (!request.id) throw SentraError.invalidArgument("id", "is required");
        return { migration: toMigrationMessage(await migrations.get(request.id)) };
      },

      listMigrations: async (request) => {
        const records = await migrations.list({
          activeOnly: request.activeOnly,
          namespace: request.namespace,
          name: request.name,
          limit: request.limit,
        });
        return { migrations: records.map(toMigrationMessage) };
      },

      async *watchMigrations(request, context) {
        for await (const migration of migrations.watch(request.id || undefined, context.signal)) yield { migration };
      },
    };
  }
}

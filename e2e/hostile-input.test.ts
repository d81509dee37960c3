import { create, type DescMessage, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Client as GrpcClient, credentials as grpcCredentials, status as grpcStatus } from "@grpc/grpc-js";
import { jetstreamManager } from "@nats-io/jetstream";
import {
  CoordinatorService,
  createServiceClient,
  HealthSummarySchema,
  PriceSnapshotSchema,
  SatelliteEventSchema,
  SatelliteStatus,
  SpotPriceSchema,
  satelliteEventStream,
  satelliteSubject,
  timestampFromMs,
} from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import { createConnection } from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCredentialHeaders, apiCredentialMetadata } from "./support/api-credentials.js";
import { type CoordinatorProcess, readMetric, startCoordinatorProcess } from "./support/estate-processes.js";
import { HOSTILE_STRINGS, mutate, randomEncodedMessage, SeededRandom } from "./support/fuzz.js";

/**
 * Fuzzing the coordinator's inputs: thousands of random and mutated payloads on every NATS subject
 * it consumes, invalid gRPC requests on every CoordinatorService method, invalid REST calls. The
 * run is seeded: a failure prints its seed, and SENTRA_FUZZ_SEED=<seed> replays it exactly.
 */
const SEED = Number(process.env.SENTRA_FUZZ_SEED ?? 20_261_123);
/** The coordinator's defaults (docs/security.md, "Hostile input"). */
const LIMITS = { health: 65_536, price: 262_144, event: 262_144 } as const;

const NATS_MESSAGES = { health: 1_000, price: 1_000, event: 800 } as const;
/** Each phase takes ~5–15 s on two idle cores; a machine shared with other test runs can be many times slower. */
const PHASE_TIMEOUT_MS = 180_000;
/** How long the coordinator may take to work through the NATS fuzz stream. */
const SETTLE_TIMEOUT_MS = 90_000;
const GRPC_CALLS_PER_UNARY_METHOD = 120;
const GRPC_CALLS_PER_STREAM_METHOD = 30;
const REST_CALLS = 600;

interface FuzzSatellite {
  id: string;
  region: { cloud: string; name: string; displayName: string; city: string; latitude: number; longitude: number };
  zones: string[];
}
const SATELLITES: readonly FuzzSatellite[] = [
  {
    id: "aws-eu-west-1",
    region: {
      cloud: "aws",
      name: "eu-west-1",
      displayName: "Ireland",
      city: "Dublin",
      latitude: 53.35,
      longitude: -6.26,
    },
    zones: ["eu-west-1a", "eu-west-1b"],
  },
  {
    id: "gcp-europe-west1",
    region: {
      cloud: "gcp",
      name: "europe-west1",
      displayName: "Belgium",
      city: "St. Ghislain",
      latitude: 50.45,
      longitude: 3.82,
    },
    zones: [""],
  },
];
/** Ids no satellite uses, longer than every real one: no single mutation turns a real body into theirs. */
const GHOSTS = ["ghost-satellite-00001", "ghost-satellite-00002"];
/** Instance types whose stored price the test checks; fuzzed snapshots never carry them. */
const CHECKED_TYPES = [
  { instanceType: "m5.large", baseUsdPerHour: 0.05 },
  { instanceType: "c5.large", baseUsdPerHour: 0.08 },
];
const FUZZ_TYPES = ["fz1.large", "fz2.xlarge"];

type Kind = "health" | "price" | "event";

describe(`hostile input (seed ${SEED}; replay with SENTRA_FUZZ_SEED=${SEED})`, () => {
  let namespace: TestNamespace;
  let coordinator: CoordinatorProcess;
  const random = new SeededRandom(SEED);

  beforeAll(async () => {
    console.info(
      `hostile-input fuzz seed ${SEED} (replay: SENTRA_FUZZ_SEED=${SEED} npx vitest run e2e/hostile-input.test.ts)`,
    );
    namespace = await createTestNamespace("fuzz");
    coordinator = await startCoordinatorProcess(namespace, {
      // Prices must not expire while the test reads them back; liveness does not matter here.
      SENTRA_PRICE_TTL_MS: "600000",
      SENTRA_INVENTORY_SYNC_INTERVAL_MS: "60000",
      // The fuzz floods from a few satellites to reach every decoder path; the per-satellite
      // flood limit would turn most of it into rate_limited; satellite-rate-limiter.test.ts covers it.
      SENTRA_INGEST_SATELLITE_RATE_PER_S: "0",
    });
  });
  afterAll(async () => {
    await namespace.dispose();
  });

  it(
    "counts every bad NATS message, applies every valid one, and keeps its state consistent",
    async () => {
      const startedAt = performance.now();
      const nats = await namespace.nats();
      const prefix = namespace.subjectPrefix;
      const subjectOf = (id: string, kind: Kind) => satelliteSubject(id, kind, prefix);
      const sent: Record<Kind, number> = { health: 0, price: 0, event: 0 };
      const expected = {
        oversized: { health: 0, price: 0, event: 0 },
        mismatch: { health: 0, price: 0, event: 0 },
        badSubject: { health: 0, price: 0, event: 0 },
        invalid: { health: 0, price: 0, event: 0 },
        rejectedPrices: { not_finite: 0, not_positive: 0, above_max: 0, jump: 0 },
      };
      const validEvents: Array<{ eventId: string; incidentId: string; summary: string }> = [];
      const publish = (subject: string, kind: Kind, payload: Uint8Array): void => {
        nats.publish(subject, payload);
        sent[kind] += 1;
      };

      // --- templates: valid messages as a satellite sends them ---
      const health = (
        satellite: FuzzSatellite,
        overrides: Omit<MessageInitShape<typeof HealthSummarySchema>, "$typeName"> = {},
      ) =>
        toBinary(
          HealthSummarySchema,
          create(HealthSummarySchema, {
            satelliteId: satellite.id,
            region: satellite.region,
            sequence: random.int(1_000) + 1,
            sentAt: timestampFromMs(Date.now()),
            status: SatelliteStatus.OK,
            clusters: [{ cluster: "sim", reachable: true, workloads: 3, desiredReplicas: 9, readyReplicas: 9 }],
            heartbeatIntervalMs: 2_000,
            version: "fuzz",
            ...overrides,
          }),
        );
      const priceEntry = (satellite: FuzzSatellite, zone: string, instanceType: string, usdPerHour: number) => ({
        cloud: satellite.region.cloud,
        region: satellite.region.name,
        zone,
        instanceType,
        usdPerHour,
        vcpus: 2,
        memoryGib: 8,
        observedAt: timestampFromMs(Date.now()),
      });
      const prices = (satellite: FuzzSatellite, entries: ReturnType<typeof priceEntry>[]) =>
        toBinary(
          PriceSnapshotSchema,
          create(PriceSnapshotSchema, {
            satelliteId: satellite.id,
            region: satellite.region,
            prices: entries,
            publishedAt: timestampFromMs(Date.now()),
          }),
        );
      /** The checked types in every zone; zone i costs a little more than zone 0. */
      const checkedPrices = (satellite: FuzzSatellite, factor: number) =>
        prices(
          satellite,
          CHECKED_TYPES.flatMap(({ instanceType, baseUsdPerHour }) =>
            satellite.zones.map((zone, index) =>
              priceEntry(satellite, zone, instanceType, baseUsdPerHour * factor * (1 + index / 10)),
            ),
          ),
        );
      const fuzzPrices = (satellite: FuzzSatellite) =>
        prices(
          satellite,
          FUZZ_TYPES.flatMap((instanceType) =>
            satellite.zones.map((zone) => priceEntry(satellite, zone, instanceType, 0.01 + random.next())),
          ),
        );
      let eventCounter = 0;
      const event = (satellite: FuzzSatellite, idPart: string, overrides: Record<string, unknown> = {}) => {
        eventCounter += 1;
        const incidentId = `${satellite.id}-${idPart}-incident-${eventCounter}`;
        const summary = `fuzz incident ${eventCounter}`;
        return {
          eventId: `${satellite.id}.${idPart}.${eventCounter}`,
          incidentId,
          summary,
          bytes: toBinary(
            SatelliteEventSchema,
            create(SatelliteEventSchema, {
              eventId: `${satellite.id}.${idPart}.${eventCounter}`,
              satelliteId: satellite.id,
              at: timestampFromMs(Date.now()),
              body:
                random.chance(0.8) || idPart === "valid"
                  ? {
                      case: "incident",
                      value: {
                        id: incidentId,
                        rolloutId: "",
                        severity: "info",
                        summary,
                        at: timestampFromMs(Date.now()),
                      },
                    }
                  : { case: "migrationStep", value: { migrationId: `m-${eventCounter}`, detail: "fuzz" } },
              ...overrides,
            }),
          ),
        };
      };
      const publishValidEvent = (satellite: FuzzSatellite): void => {
        const valid = event(satellite, "valid");
        validEvents.push(valid);
        publish(subjectOf(satellite.id, "event"), "event", valid.bytes);
      };

      // --- 1. a valid start: every satellite's heartbeat, checked prices and an event ---
      for (const satellite of SATELLITES) {
        publish(subjectOf(satellite.id, "health"), "health", health(satellite));
        publish(subjectOf(satellite.id, "price"), "price", checkedPrices(satellite, 1));
        publishValidEvent(satellite);
      }

      // --- 2. the fuzz stream, valid messages interleaved ---
      const kinds: Kind[] = [
        ...Array<Kind>(NATS_MESSAGES.health).fill("health"),
        ...Array<Kind>(NATS_MESSAGES.price).fill("price"),
        ...Array<Kind>(NATS_MESSAGES.event).fill("event"),
      ];
      for (let i = kinds.length - 1; i > 0; i -= 1) {
        const j = random.int(i + 1);
        [kinds[i], kinds[j]] = [kinds[j] as Kind, kinds[i] as Kind];
      }
      for (const kind of kinds) {
        const satellite = random.pick(SATELLITES);
        const template = (): Uint8Array =>
          kind === "health"
            ? health(satellite)
            : kind === "price"
              ? fuzzPrices(satellite)
              : event(satellite, "template").bytes;
        const roll = random.next();
        if (roll < 0.1) {
          // Valid, from the satellite its subject names.
          if (kind === "event") publishValidEvent(satellite);
          else publish(subjectOf(satellite.id, kind), kind, template());
        } else if (roll < 0.5) {
          // A valid message damaged on the way, mostly on its own subject.
          const target = random.chance(0.8) ? satellite.id : random.pick([...SATELLITES.map((s) => s.id), ...GHOSTS]);
          publish(subjectOf(target, kind), kind, mutate(random, template()).bytes);
        } else if (roll < 0.63) {
          publish(subjectOf(random.pick([satellite.id, ...GHOSTS]), kind), kind, random.bytes(random.int(512)));
        } else if (roll < 0.65) {
          // Oversized, of valid-looking bytes: dropped before decoding (JetStream refuses a large event).
          const bytes = new Uint8Array(LIMITS[kind] + 1 + random.int(1_000)).fill(0x0a);
          publish(subjectOf(satellite.id, kind), kind, bytes);
          expected.oversized[kind] += 1;
        } else if (roll < 0.67) {
          // A subject token no satellite id can be (the wildcard subscription still receives it).
          const badId = random.pick(["EVIL", "a".repeat(64), "-x", "x_Y"]);
          publish(`${prefix}.sentra.v1.sat.${badId}.${kind}`, kind, template());
          expected.badSubject[kind] += 1;
        } else if (roll < 0.8) {
          // A valid body on another satellite's subject: a satellite speaking for another.
          const others = [...SATELLITES.filter((s) => s.id !== satellite.id).map((s) => s.id), ...GHOSTS];
          publish(subjectOf(random.pick(others), kind), kind, template());
          expected.mismatch[kind] += 1;
        } else {
          // Absurd numbers in an otherwise well-formed message.
          if (kind === "health") {
            const absurd = random.pick<Omit<MessageInitShape<typeof HealthSummarySchema>, "$typeName">>([
              { heartbeatIntervalMs: 0 },
              { heartbeatIntervalMs: 4_000_000_000 },
              { region: { ...satellite.region, latitude: Number.NaN } },
              { region: { ...satellite.region, longitude: 1e300 } },
              { grpcEndpoint: "evil host:-1" },
              { version: "v".repeat(1_000) },
            ]);
            publish(subjectOf(satellite.id, "health"), "health", health(satellite, absurd));
            expected.invalid.health += 1;
          } else if (kind === "price") {
            const zone = random.pick(satellite.zones);
            const { instanceType, baseUsdPerHour } = random.pick(CHECKED_TYPES);
            const [usdPerHour, reason] = random.pick<[number, keyof typeof expected.rejectedPrices]>([
              [Number.NaN, "not_finite"],
              [Number.POSITIVE_INFINITY, "not_finite"],
              [-0.05, "not_positive"],
              [0, "not_positive"],
              [50_000, "above_max"],
              // Against the valid start's price of this zone (fuzzed snapshots never touch these types).
              [baseUsdPerHour * (1 + satellite.zones.indexOf(zone) / 10) * 5_000, "jump"],
              [(baseUsdPerHour * (1 + satellite.zones.indexOf(zone) / 10)) / 5_000, "jump"],
            ]);
            publish(
              subjectOf(satellite.id, "price"),
              "price",
              prices(satellite, [priceEntry(satellite, zone, instanceType, usdPerHour)]),
            );
            expected.rejectedPrices[reason] += 1;
          } else {
            const absurd = random.pick<Record<string, unknown>>([
              { eventId: "" },
              { eventId: "e".repeat(200) },
              { at: { seconds: 10n ** 13n, nanos: 0 } },
              { satelliteId: "" },
            ]);
            publish(subjectOf(satellite.id, "event"), "event", event(satellite, "absurd", absurd).bytes);
            expected.invalid.event += 1;
          }
        }
      }

      // --- 3. a valid end: the state every satellite leaves behind ---
      const FINAL_FACTOR = 1.05;
      // The final heartbeat comes from a restarted satellite (a start time no earlier message has):
      // a damaged heartbeat of the old run may carry a higher sequence, and the coordinator rightly
      // keeps the higher of one run's sequences, however the batches fall on a loaded machine.
      const restartedAt = timestampFromMs(Date.now());
      for (const satellite of SATELLITES) {
        publish(
          subjectOf(satellite.id, "health"),
          "health",
          health(satellite, { startedAt: restartedAt, sequence: 1 }),
        );
        publish(subjectOf(satellite.id, "price"), "price", checkedPrices(satellite, FINAL_FACTOR));
        publishValidEvent(satellite);
      }
      await nats.flush();
      const publishedMs = Math.round(performance.now() - startedAt);

      // --- every message lands in exactly one counter ---
      const metric = (name: string, labels: Record<string, string> = {}) =>
        readMetric(coordinator.httpUrl, name, labels);
      const accepted = (kind: Kind) => metric("sentra_coordinator_nats_messages_total", { kind });
      const dropped = (kind: Kind, reason?: string) =>
        metric("sentra_coordinator_nats_messages_dropped_total", { kind, ...(reason ? { reason } : {}) });
      await eventually(
        async () => {
          for (const kind of ["health", "price"] as const)
            expect((await accepted(kind)) + (await dropped(kind))).toBe(sent[kind]);
        },
        SETTLE_TIMEOUT_MS,
        250,
      );
      // Events go through JetStream: the stream holds all but the oversized ones, each applied once or dropped.
      const jsm = await jetstreamManager(nats);
      // JetStream stores what the server received asynchronously: wait until it holds them all.
      const stream = await eventually(async () => {
        const info = await jsm.streams.info(satelliteEventStream(prefix).name);
        expect(info.state.messages).toBe(sent.event - expected.oversized.event);
        return info;
      }, SETTLE_TIMEOUT_MS);
      await eventually(
        async () => {
          const duplicates = await metric("sentra_coordinator_rollout_events_total", { outcome: "duplicate" });
          expect((await accepted("event")) + duplicates + (await dropped("event"))).toBe(stream.state.messages);
        },
        SETTLE_TIMEOUT_MS,
        250,
      );
      for (const kind of ["health", "price"] as const) {
        expect(await dropped(kind, "oversized")).toBe(expected.oversized[kind]);
      }
      for (const kind of ["health", "price", "event"] as const) {
        expect(await dropped(kind, "subject_mismatch")).toBeGreaterThanOrEqual(expected.mismatch[kind]);
        expect(await dropped(kind, "bad_subject")).toBe(expected.badSubject[kind]);
      }
      expect(await dropped("health", "invalid")).toBeGreaterThanOrEqual(expected.invalid.health);
      expect(await dropped("event", "invalid")).toBeGreaterThanOrEqual(expected.invalid.event);
      for (const [reason, count] of Object.entries(expected.rejectedPrices)) {
        expect(await metric("sentra_coordinator_prices_rejected_total", { reason })).toBeGreaterThanOrEqual(count);
      }

      // --- the state: exactly the satellites that sent valid heartbeats, as they last sent them ---
      const client = createServiceClient(CoordinatorService, coordinator.grpcAddress, grpcCredentials.createInsecure());
      namespace.defer(() => client.close());
      const { satellites } = await client.listSatellites({}, { metadata: apiCredentialHeaders(namespace) });
      expect(satellites.map((satellite) => satellite.id)).toEqual(SATELLITES.map((satellite) => satellite.id).sort());
      for (const satellite of satellites) {
        const sentBy = SATELLITES.find((candidate) => candidate.id === satellite.id);
        expect(satellite.region).toMatchObject(sentBy?.region ?? {});
        expect(satellite.version).toBe("fuzz");
        expect(satellite.heartbeatIntervalMs).toBe(2_000);
      }
      // Prices: each checked type at its final valid price (cheapest zone); no price from a region no real satellite has.
      const redis = namespace.redis();
      for (const satellite of SATELLITES) {
        for (const { instanceType, baseUsdPerHour } of CHECKED_TYPES) {
          const stored = await redis.getBuffer(
            `${namespace.redisKeyPrefix}price:${satellite.region.cloud}:${satellite.region.name}:${instanceType}`,
          );
          expect(stored, `${satellite.id} ${instanceType}`).not.toBeNull();
          expect(fromBinary(SpotPriceSchema, stored as Buffer).usdPerHour).toBeCloseTo(
            baseUsdPerHour * FINAL_FACTOR,
            12,
          );
        }
      }
      const priceKeys = await redis.keys(`${namespace.redisKeyPrefix}price:*`);
      for (const key of priceKeys) {
        const [cloud, region] = key.slice(`${namespace.redisKeyPrefix}price:`.length).split(":");
        expect(
          SATELLITES.some((s) => s.region.cloud === cloud && s.region.name === region),
          key,
        ).toBe(true);
      }
      // Events: every valid one recorded with its incident; none recorded for a satellite that does not exist.
      const mysql = await createConnection({ uri: namespace.mysqlUrl });
      namespace.defer(() => mysql.end());
      const [rows] = await mysql.query("SELECT id, summary FROM incidents WHERE id IN (?)", [
        validEvents.map((valid) => valid.incidentId),
      ]);
      expect(new Map((rows as Array<{ id: string; summary: string }>).map((row) => [row.id, row.summary]))).toEqual(
        new Map(validEvents.map((valid) => [valid.incidentId, valid.summary])),
      );
      const [owners] = await mysql.query("SELECT DISTINCT satellite_id FROM satellite_events");
      for (const { satellite_id } of owners as Array<{ satellite_id: string }>) {
        expect(SATELLITES.map((satellite) => satellite.id)).toContain(satellite_id);
      }

      // --- a 1000x jump after it all: dropped and counted, the last good price stays ---
      const jumpsBefore = await metric("sentra_coordinator_prices_rejected_total", { reason: "jump" });
      const first = SATELLITES[0] as FuzzSatellite;
      nats.publish(subjectOf(first.id, "price"), checkedPrices(first, FINAL_FACTOR * 2_000));
      await nats.flush();
      const jumpedCount = CHECKED_TYPES.length * first.zones.length;
      await eventually(
        async () =>
          expect(await metric("sentra_coordinator_prices_rejected_total", { reason: "jump" })).toBe(
            jumpsBefore + jumpedCount,
          ),
        SETTLE_TIMEOUT_MS,
      );
      const kept = await redis.getBuffer(`${namespace.redisKeyPrefix}price:aws:eu-west-1:m5.large`);
      expect(fromBinary(SpotPriceSchema, kept as Buffer).usdPerHour).toBeCloseTo(0.05 * FINAL_FACTOR, 12);

      // --- warnings name both ids, never dump a payload ---
      const output = coordinator.process.output();
      const mismatchLine = output.split("\n").find((line) => line.includes("names another satellite than its subject"));
      expect(mismatchLine).toMatch(/"subjectSatelliteId":"[a-z0-9-]+".*"bodySatelliteId":"[a-z0-9-]+"/);
      expect(output.length).toBeLessThan(2_000_000);
      expect((await fetch(`${coordinator.httpUrl}/healthz`)).status).toBe(200);
      expect(coordinator.process.child.exitCode).toBeNull();
      console.info(
        `NATS fuzz: ${JSON.stringify(sent)} messages published in ${publishedMs} ms, all accounted for after ${Math.round(performance.now() - startedAt)} ms; dropped health ${await dropped("health")}, price ${await dropped("price")}, event ${await dropped("event")}`,
      );
    },
    PHASE_TIMEOUT_MS,
  );

  it(
    "answers every invalid gRPC request with a client error, never INTERNAL or UNKNOWN",
    async () => {
      const startedAt = performance.now();
      const raw = new GrpcClient(coordinator.grpcAddress, grpcCredentials.createInsecure());
      namespace.defer(() => raw.close());
      const passThrough = (bytes: Buffer): Buffer => bytes;
      const codes = new Map<string, Map<string, number>>();
      const record = (method: string, code: number): void => {
        const byCode = codes.get(method) ?? new Map<string, number>();
        const name = grpcStatus[code] ?? String(code);
        byCode.set(name, (byCode.get(name) ?? 0) + 1);
        codes.set(method, byCode);
      };
      const requestBytes = (input: DescMessage): Buffer => {
        const roll = random.next();
        if (roll < 0.45) return Buffer.from(randomEncodedMessage(random, input));
        if (roll < 0.75) return Buffer.from(mutate(random, randomEncodedMessage(random, input)).bytes);
        if (roll < 0.9) return Buffer.from(random.bytes(random.int(256)));
        if (roll < 0.995) return Buffer.alloc(0);
        // Larger than the server's 4 MiB receive limit.
        return Buffer.alloc(4 * 1_048_576 + 1_024, 0x0a);
      };
      const unary = (path: string, bytes: Buffer): Promise<number> =>
        new Promise((resolve) => {
          raw.makeUnaryRequest(
            path,
            passThrough,
            passThrough,
            bytes,
            apiCredentialMetadata(namespace),
            { deadline: Date.now() + 10_000 },
            (error) => resolve(error ? (error.code ?? grpcStatus.UNKNOWN) : grpcStatus.OK),
          );
        });
      /** A stream that stays open is cancelled by the test after 150 ms: that is the test's CANCELLED, not the server's. */
      const serverStream = (path: string, bytes: Buffer): Promise<number | "open"> =>
        new Promise((resolve) => {
          const call = raw.makeServerStreamRequest(
            path,
            passThrough,
            passThrough,
            bytes,
            apiCredentialMetadata(namespace),
            {
              deadline: Date.now() + 10_000,
            },
          );
          let cancelledByTest = false;
          const timer = setTimeout(() => {
            cancelledByTest = true;
            call.cancel();
          }, 150);
          call.on("data", () => undefined);
          call.on("error", () => undefined);
          call.on("status", (status) => {
            clearTimeout(timer);
            resolve(cancelledByTest && status.code === grpcStatus.CANCELLED ? "open" : status.code);
          });
        });

      const jobs: Array<() => Promise<void>> = [];
      for (const method of CoordinatorService.methods) {
        const path = `/${CoordinatorService.typeName}/${method.name}`;
        const streaming = method.methodKind === "server_streaming";
        const calls = streaming ? GRPC_CALLS_PER_STREAM_METHOD : GRPC_CALLS_PER_UNARY_METHOD;
        for (let i = 0; i < calls; i += 1) {
          const bytes = requestBytes(method.input);
          jobs.push(async () => {
            if (!streaming) record(method.name, await unary(path, bytes));
            else {
              const outcome = await serverStream(path, bytes);
              if (outcome === "open") codes.set(method.name, codes.get(method.name) ?? new Map());
              else record(method.name, outcome);
            }
          });
        }
      }
      await runConcurrently(jobs, 16);

      const forbidden = ["INTERNAL", "UNKNOWN", "UNIMPLEMENTED", "DATA_LOSS"];
      const report = Object.fromEntries([...codes].map(([method, byCode]) => [method, Object.fromEntries(byCode)]));
      for (const [method, byCode] of codes) {
        for (const code of forbidden)
          expect(byCode.get(code), `${method}: ${JSON.stringify(report[method])}`).toBeUndefined();
      }
      expect(codes.size).toBe(CoordinatorService.methods.length);
      // Still serving, and its state untouched by the garbage: the same two satellites.
      const client = createServiceClient(CoordinatorService, coordinator.grpcAddress, grpcCredentials.createInsecure());
      namespace.defer(() => client.close());
      const { satellites } = await client.listSatellites({}, { metadata: apiCredentialHeaders(namespace) });
      expect(satellites.map((satellite) => satellite.id)).toEqual(SATELLITES.map((satellite) => satellite.id).sort());
      expect(coordinator.process.child.exitCode).toBeNull();
      console.info(
        `gRPC fuzz: ${jobs.length} calls in ${Math.round(performance.now() - startedAt)} ms: ${JSON.stringify(report)}`,
      );
    },
    PHASE_TIMEOUT_MS,
  );

  it(
    "answers every invalid REST call with a 4xx in the one error shape, never a 5xx",
    async () => {
      const startedAt = performance.now();
      const text = (): string =>
        random.chance(0.6) ? random.pick(HOSTILE_STRINGS).slice(0, 2_000) : String(random.int(1e6));
      const segment = (): string => encodeURIComponent(text()) || "x";
      const query = (names: readonly string[]): string =>
        names
          .filter(() => random.chance(0.6))
          .map((name) => `${name}=${encodeURIComponent(text())}`)
          .join("&");
      const jsonValue = (depth = 0): unknown => {
        const roll = random.int(depth > 2 ? 4 : 6);
        if (roll === 0) return text();
        if (roll === 1) return random.pick([0, -1, 1e308, 1.5, 2 ** 53 + 1]);
        if (roll === 2) return random.chance(0.5);
        if (roll === 3) return null;
        if (roll === 4) return Array.from({ length: random.int(3) }, () => jsonValue(depth + 1));
        const fields = [
          "workload",
          "targetRegion",
          "satelliteId",
          "namespace",
          "name",
          "idempotencyKey",
          "full",
          "actor",
          "reason",
          "rollbackCompletedWaves",
          "requestedBy",
          "__proto__",
          "constructor",
        ];
        return Object.fromEntries(
          Array.from({ length: random.int(5) }, () => [random.pick(fields), jsonValue(depth + 1)]),
        );
      };
      const body = (): { text: string; contentType: string } => {
        const roll = random.next();
        if (roll < 0.6) return { text: JSON.stringify(jsonValue()), contentType: "application/json" };
        if (roll < 0.75) return { text: '{"workload": {', contentType: "application/json" };
        if (roll < 0.85) return { text: `${"[".repeat(5_000)}${"]".repeat(5_000)}`, contentType: "application/json" };
        if (roll < 0.95)
          return {
            text: text(),
            contentType: random.pick(["text/plain", "application/x-www-form-urlencoded", "application/xml"]),
          };
        return { text: JSON.stringify({ pad: "x".repeat(2_000_000) }), contentType: "application/json" };
      };
      const requests: Array<{ method: string; path: string; body?: { text: string; contentType: string } }> = [];
      for (let i = 0; i < REST_CALLS; i += 1) {
        const id = segment();
        requests.push(
          random.pick([
            {
              method: "GET",
              path: `/api/v1/rollouts?${query(["pageSize", "service", "namespace", "activeOnly", "pageToken"])}`,
            },
            { method: "GET", path: `/api/v1/rollouts/${id}` },
            { method: "GET", path: `/api/v1/rollouts/${id}/history?${query(["limit"])}` },
            { method: "POST", path: `/api/v1/rollouts/${id}/promote`, body: body() },
            { method: "POST", path: `/api/v1/rollouts/${id}/abort`, body: body() },
            { method: "POST", path: "/api/v1/migrations/plan", body: body() },
            { method: "POST", path: "/api/v1/migrations", body: body() },
            { method: "GET", path: `/api/v1/migrations/${id}` },
            { method: "GET", path: `/api/v1/migrations?${query(["activeOnly", "namespace", "name", "limit"])}` },
            { method: "GET", path: `/api/v1/opportunities?${query(["limit"])}` },
            { method: "GET", path: `/api/v1/rollouts/%E0%A4%A${id}` },
            { method: random.pick(["PUT", "DELETE", "PATCH"]), path: `/api/v1/migrations/${id}`, body: body() },
            { method: "GET", path: `/api/v1/${id}` },
          ]),
        );
      }
      const statuses = new Map<number, number>();
      const failures: string[] = [];
      await runConcurrently(
        requests.map((request) => async () => {
          const response = await fetch(`${coordinator.httpUrl}${request.path}`, {
            method: request.method,
            headers: {
              ...apiCredentialHeaders(namespace),
              ...(request.body ? { "content-type": request.body.contentType } : {}),
              ...(random.chance(0.2)
                ? {
                    "idempotency-key": text()
                      .slice(0, 300)
                      .replace(/[^\x20-\x7e]/g, "?"),
                  }
                : {}),
            },
            ...(request.body ? { body: request.body.text } : {}),
            signal: AbortSignal.timeout(10_000),
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const answer = await response.text();
          if (response.status >= 500)
            failures.push(
              `${request.method} ${request.path.slice(0, 120)} → ${response.status} ${answer.slice(0, 200)}`,
            );
          else if (response.status >= 400 && !isErrorShape(answer)) {
            failures.push(
              `${request.method} ${request.path.slice(0, 120)} → ${response.status} not in the error shape: ${answer.slice(0, 200)}`,
            );
          }
        }),
        8,
      );
      expect(failures).toEqual([]);
      expect((await fetch(`${coordinator.httpUrl}/healthz`)).status).toBe(200);
      expect(coordinator.process.child.exitCode).toBeNull();
      console.info(
        `REST fuzz: ${requests.length} calls in ${Math.round(performance.now() - startedAt)} ms: ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
    },
    PHASE_TIMEOUT_MS,
  );
});

/** `{ "error": { "code": …, "message": … } }`, the REST API's one error shape. */
function isErrorShape(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return typeof parsed.error?.code === "string" && typeof parsed.error.message === "string";
  } catch {
    return false;
  }
}

/** Runs jobs with at most `concurrency` in flight. */
async function runConcurrently(jobs: ReadonlyArray<() => Promise<void>>, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next] as () => Promise<void>;
        next += 1;
        await job();
      }
    }),
  );
}

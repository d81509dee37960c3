import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, nkeyAuthenticator } from "@nats-io/transport-node";
import { SATELLITE_EVENT_CONSUMER, satelliteEventStream, satelliteInboxPrefix } from "@sentra/proto";
import { eventually, freePort, startNatsServer } from "@sentra/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNatsAuthConfig } from "./nats-auth-config.js";
import { type NatsServerFiles, writeNatsServerFiles } from "./nats-server-files.js";

const A = "aws-eu-west-1";
const B = "gcp-us-east1";
const PREFIX = "permtest";
const STREAM = satelliteEventStream(PREFIX).name;
const subject = (id: string, kind: string): string => `${PREFIX}.sentra.v1.sat.${id}.${kind}`;

const cleanups: Array<() => Promise<void> | void> = [];
let files: NatsServerFiles;

/** Connects as one of the generated identities, the way the components do. */
async function connectAs(seedPath: string, inboxPrefix?: string): Promise<NatsConnection> {
  const connection = await connect({
    servers: files.url,
    authenticator: nkeyAuthenticator(new TextEncoder().encode(readFileSync(seedPath, "utf8").trim())),
    ...(inboxPrefix ? { inboxPrefix } : {}),
    reconnect: false,
  });
  cleanups.push(() => connection.close());
  return connection;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "sentra-nats-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  files = await writeNatsServerFiles({
    dir,
    satelliteIds: [A, B],
    subjectPrefix: PREFIX,
    listen: `127.0.0.1:${await freePort()}`,
  });
  const server = await startNatsServer({ configPath: files.serverConfigPath });
  cleanups.push(() => server.stop());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("the generated nats-server configuration, on the real nats-server", () => {
  it("keeps seeds out of the server config and in private files", () => {
    const config = readFileSync(files.authConfigPath, "utf8") + readFileSync(files.serverConfigPath, "utf8");
    for (const path of [files.coordinatorSeedPath, ...files.satelliteSeedPaths.values()]) {
      const seed = readFileSync(path, "utf8").trim();
      expect(seed).toMatch(/^SU[A-Z2-7]{56}$/);
      expect(config).not.toContain(seed);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
    for (const publicKey of files.publicKeys.values()) expect(config).toContain(publicKey);
  });

  it("refuses a connection without credentials", async () => {
    const refused = await connect({ servers: files.url, reconnect: false }).catch((error: unknown) => error);
    expect(String(refused)).toMatch(/authorization violation/i);
  });

  it("lets a satellite publish only under its own id, and receive only on its own inbox", async () => {
    const coordinator = await connectAs(files.coordinatorSeedPath);
    const satelliteA = await connectAs(files.satelliteSeedPaths.get(A) as string, satelliteInboxPrefix(A));
    const errors: string[] = [];
    void (async () => {
      for await (const status of satelliteA.status()) if (status.type === "error") errors.push(String(status.error));
    })();
    const received: string[] = [];
    const subscription = coordinator.subscribe(`${PREFIX}.sentra.v1.sat.>`, {
      callback: (_error, message) => {
        received.push(message.subject);
      },
    });
    await coordinator.flush();

    for (const kind of ["health", "price", "event"]) {
      satelliteA.publish(subject(A, kind), "own");
      satelliteA.publish(subject(B, kind), "forged");
    }
    satelliteA.publish(subject(A, "other"), "not a subject of the contract");
    await satelliteA.flush();
    await eventually(() => {
      expect(received.sort()).toEqual([subject(A, "event"), subject(A, "health"), subject(A, "price")]);
      expect(errors.join("\n")).toContain(`Permissions Violation for Publish to "${subject(B, "health")}"`);
      expect(errors.join("\n")).toContain(`Permissions Violation for Publish to "${subject(A, "other")}"`);
    });
    subscription.unsubscribe();

    // Listening in on B's inbox or on the satellite subjects is refused as well.
    satelliteA.subscribe(`${satelliteInboxPrefix(B)}.>`);
    satelliteA.subscribe(`${PREFIX}.sentra.v1.sat.*.health`);
    await satelliteA.flush();
    await eventually(() => {
      expect(errors.join("\n")).toContain(`Permissions Violation for Subscription to "${satelliteInboxPrefix(B)}.>"`);
      expect(errors.join("\n")).toContain(
        `Permissions Violation for Subscription to "${PREFIX}.sentra.v1.sat.*.health"`,
      );
    });
  });

  it("gives a satellite the JetStream it needs on its own subject and nothing of the coordinator's", async () => {
    // The coordinator owns the stream and its durable consumer (coordinator/src/rollout/event-stream.ts).
    const coordinator = await connectAs(files.coordinatorSeedPath);
    const coordinatorJsm = await jetstreamManager(coordinator);
    await coordinatorJsm.streams.add({ ...satelliteEventStream(PREFIX) });
    await coordinatorJsm.consumers.add(STREAM, {
      durable_name: SATELLITE_EVENT_CONSUMER,
      ack_policy: AckPolicy.Explicit,
    });

    const satelliteA = await connectAs(files.satelliteSeedPaths.get(A) as string, satelliteInboxPrefix(A));
    const js = jetstream(satelliteA);
    // Publishing its events: the ack comes back on its inbox.
    const ack = await js.publish(subject(A, "event"), "event 1", { msgID: `${A}.r1.1` });
    expect(ack.stream).toBe(STREAM);
    await expect(js.publish(subject(B, "event"), "forged", { msgID: `${B}.r1.1` })).rejects.toThrow(
      /permissions violation/i,
    );
    const satelliteB = await connectAs(files.satelliteSeedPaths.get(B) as string, satelliteInboxPrefix(B));
    await jetstream(satelliteB).publish(subject(B, "event"), "B's own event", { msgID: `${B}.r1.1` });

    // Reading back its own events at start-up (read-rollout-records.ts): an ordered consumer.
    const jsm = await jetstreamManager(satelliteA);
    const info = await jsm.streams.info(STREAM, { subjects_filter: subject(A, "event") });
    expect(info.state.subjects?.[subject(A, "event")]).toBe(1);
    const own = await js.consumers.get(STREAM, { filter_subjects: subject(A, "event") });
    const mine = await own.next({ expires: 2_000 });
    expect(mine?.string()).toBe("event 1");
    await own.delete().catch(() => undefined);

    // Another satellite's events, the stream and the coordinator's consumer stay out of reach.
    const theirs = await js.consumers
      .get(STREAM, { filter_subjects: subject(B, "event") })
      .then((consumer) => consumer.next({ expires: 1_000 }))
      .catch((error: unknown) => error);
    expect(String(theirs)).toMatch(/permissions violation/i);
    await expect(jsm.streams.add({ name: "SENTRA_EVIL", subjects: [">"] })).rejects.toThrow(/permissions violation/i);
    await expect(jsm.streams.delete(STREAM)).rejects.toThrow(/permissions violation/i);
    await expect(jsm.consumers.delete(STREAM, SATELLITE_EVENT_CONSUMER)).rejects.toThrow(/permissions violation/i);
    const stolen = await satelliteA
      .request(`$JS.API.CONSUMER.MSG.NEXT.${STREAM}.${SATELLITE_EVENT_CONSUMER}`, JSON.stringify({ batch: 1 }))
      .catch((error: unknown) => error);
    expect(String(stolen)).toMatch(/permissions violation/i);
    const hijack = await satelliteA
      .request(
        `$JS.API.CONSUMER.CREATE.${STREAM}.${SATELLITE_EVENT_CONSUMER}.${subject(A, "event")}`,
        JSON.stringify({
          stream_name: STREAM,
          config: { durable_name: SATELLITE_EVENT_CONSUMER, filter_subject: subject(A, "event") },
        }),
      )
      .catch((error: unknown) => error);
    expect(String(hijack)).toMatch(/permissions violation/i);

    // The coordinator still sees every event through its untouched durable consumer.
    const durable = await jetstream(coordinator).consumers.get(STREAM, SATELLITE_EVENT_CONSUMER);
    const seen: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const message = await durable.next({ expires: 2_000 });
      if (message) {
        seen.push(message.subject);
        message.ack();
      }
    }
    expect(seen).toEqual([subject(A, "event"), subject(B, "event")]);
  });

  it("rejects an id that is not one subject token before making any key", () => {
    expect(() => createNatsAuthConfig({ satelliteIds: ["a.b"] })).toThrow(/invalid satellite id/);
    expect(() => createNatsAuthConfig({ satelliteIds: ["x", "x"] })).toThrow(/given twice/);
  });
});

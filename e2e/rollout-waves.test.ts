import { credentials } from "@grpc/grpc-js";
import { SentraError } from "@sentra/common";
import {
  CoordinatorService,
  createServiceClient,
  type MultiClusterRollout,
  RolloutPhase,
  RolloutWaveStatus,
  type ServiceClient,
  type WatchRolloutsResponse,
} from "@sentra/proto";
import { createTestNamespace, eventually, type TestNamespace } from "@sentra/testkit";
import type { RowDataPacket } from "mysql2/promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bearerHeaders, bearerMetadata } from "./support/coordinator-auth.js";
import { type CoordinatorProcess, readMetric, startCoordinatorProcess } from "./support/estate-processes.js";
import { startFakeRolloutSatellite } from "./support/fake-rollout-satellite.js";
import { recordPool } from "./support/rollout-record.js";

/** Short intervals so waves move within a test's time. */
const COORDINATOR_ENV = {
  SENTRA_ROLLOUT_RECONCILE_INTERVAL_MS: "300",
  SENTRA_ROLLOUT_POLL_INTERVAL_MS: "1000",
  SENTRA_ROLLOUT_DISPATCH_TIMEOUT_MS: "10000",
};

const base = {
  service: "checkout",
  namespace: "shop",
  stableVersion: "v1",
  canaryVersion: "v2",
  policyYaml: "steps: [50, 50]\n",
};

describe("multi-cluster rollouts through CoordinatorService", () => {
  let namespace: TestNamespace;
  let coordinator: CoordinatorProcess;
  let client: ServiceClient<typeof CoordinatorService>;

  beforeEach(async () => {
    namespace = await createTestNamespace("rowaves");
    coordinator = await startCoordinatorProcess(namespace, COORDINATOR_ENV);
    client = createServiceClient(CoordinatorService, coordinator.grpcAddress, credentials.createInsecure(), {
      metadata: bearerMetadata(coordinator.adminToken),
    });
    namespace.defer(() => client.close());
  });
  afterEach(async () => {
    await namespace.dispose();
  });

  async function waitLive(...ids: string[]): Promise<void> {
    await eventually(async () => {
      const { satellites } = await client.listSatellites({ liveOnly: true });
      expect(satellites.map((satellite) => satellite.id)).toEqual(expect.arrayContaining(ids));
    }, 5_000);
  }

  /** Collects a WatchRollouts stream in the background until the test ends. */
  function watch(request: { rolloutId?: string } = {}): WatchRolloutsResponse[] {
    const seen: WatchRolloutsResponse[] = [];
    const controller = new AbortController();
    namespace.defer(() => controller.abort());
    void (async () => {
      try {
        for await (const message of client.watchRollouts(request, { signal: controller.signal })) seen.push(message);
      } catch {
        // the stream ends with the test
      }
    })();
    return seen;
  }

  it("dispatches each wave to its satellite in order and streams every change until all are PROMOTED", async () => {
    const [east, europe] = await Promise.all([
      // Slow enough that wave 1 is still running when StartRollout answers, even on a busy machine.
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "us-east-1", outcome: "promote", stepMs: 500 }),
      startFakeRolloutSatellite(namespace, { cloud: "gcp", region: "europe-west1", outcome: "promote" }),
    ]);
    await waitLive(east.satelliteId, europe.satelliteId);
    const stream = watch();
    await eventually(() => expect(stream.some((message) => message.snapshotComplete)).toBe(true), 5_000);

    const started = await client.startRollout({
      ...base,
      waves: [{ satelliteId: "aws-us-east-1" }, { region: "europe-west1" }],
      idempotencyKey: "deploy-42",
      actor: "ci-pipeline",
    });
    expect(started.replayed).toBe(false);
    const id = started.rollout?.id ?? "";
    expect(started.rollout?.waves.map((wave) => [wave.satelliteId, wave.region])).toEqual([
      ["aws-us-east-1", "us-east-1"],
      ["gcp-europe-west1", "europe-west1"],
    ]);
    expect(started.rollout?.waves[0]?.status).toBe(RolloutWaveStatus.RUNNING);
    expect(started.rollout?.waves[1]?.status).toBe(RolloutWaveStatus.WAITING);
    expect(started.rollout?.createdBy).toBe("ci-pipeline");
    // The first wave went to the first satellite, with everything it needs; the second not yet.
    expect(east.calls.find((call) => call.method === "startRollout")?.start).toMatchObject({
      rolloutId: `${id}-w1`,
      parentId: id,
      service: "checkout",
      namespace: "shop",
      stableVersion: "v1",
      canaryVersion: "v2",
      policyYaml: base.policyYaml,
    });
    expect(europe.calls.filter((call) => call.method === "startRollout")).toEqual([]);

    let final: MultiClusterRollout | undefined;
    await eventually(async () => {
      final = (await client.getRollout({ rolloutId: id })).rollout;
      expect(final?.phase).toBe(RolloutPhase.PROMOTED);
    }, 15_000);
    expect(final?.waves.map((wave) => wave.status)).toEqual([RolloutWaveStatus.PROMOTED, RolloutWaveStatus.PROMOTED]);
    expect(final?.waves[1]?.rollout?.id).toBe(`${id}-w2`);
    expect(final?.waves[1]?.rollout?.canaryWeight).toBe(100);
    // Wave 2 started only after wave 1 was promoted.
    const secondStart = europe.calls.find((call) => call.method === "startRollout");
    expect(secondStart?.start?.rolloutId).toBe(`${id}-w2`);
    expect(secondStart?.atMs).toBeGreaterThanOrEqual(east.endedAtMs.get(`${id}-w1`) ?? Number.POSITIVE_INFINITY);

    // The watch saw the rollout move through its waves, in order, ending PROMOTED.
    await eventually(() => {
      const changes = stream.filter((message) => message.rollout?.id === id && !message.snapshot);
      expect(changes.at(-1)?.rollout?.phase).toBe(RolloutPhase.PROMOTED);
      const secondWave = changes.map((message) => message.rollout?.waves[1]?.status);
      expect(secondWave).toContain(RolloutWaveStatus.WAITING);
      expect(secondWave).toContain(RolloutWaveStatus.RUNNING);
      const phases = changes.map((message) => message.rollout?.phase);
      expect(phases).toContain(RolloutPhase.PROGRESSING);
    }, 5_000);

    // Every decision of both waves is in the record with its gate values, once.
    const history = await client.getRolloutHistory({ rolloutId: id });
    expect(history.decisions).toHaveLength(east.published.decisions + europe.published.decisions);
    expect(new Set(history.decisions.map((decision) => decision.rolloutId))).toEqual(new Set([`${id}-w1`, `${id}-w2`]));
    expect(history.decisions[0]?.gates[0]).toMatchObject({ gate: "error_rate", threshold: 0.01 });
    const pool = recordPool(namespace);
    const [rows] = await pool.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT rollout_id, sequence) AS distinct_n FROM rollout_steps",
    );
    expect(Number(rows[0]?.n)).toBe(history.decisions.length);
    expect(Number(rows[0]?.distinct_n)).toBe(history.decisions.length);

    // A retry with the same key is the same rollout; the key reused for another release is refused.
    const retried = await client.startRollout({
      ...base,
      waves: [{ satelliteId: "aws-us-east-1" }, { region: "europe-west1" }],
      idempotencyKey: "deploy-42",
      actor: "ci-pipeline-retry",
    });
    expect(retried).toMatchObject({ replayed: true, rollout: { id } });
    await expect(
      client.startRollout({
        ...base,
        canaryVersion: "v3",
        waves: [{ satelliteId: "aws-us-east-1" }],
        idempotencyKey: "deploy-42",
      }),
    ).rejects.toMatchObject({ code: "ALREADY_EXISTS", field: "idempotency_key" });
    expect(await readMetric(coordinator.httpUrl, "sentra_coordinator_rollouts", { phase: "PROMOTED" })).toBe(1);
  });

  it("halts the waves after a failing one and reverts the promoted waves before it", async () => {
    const [first, second, third] = await Promise.all([
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "us-east-1", outcome: "promote" }),
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "eu-west-1", outcome: "rollback" }),
      startFakeRolloutSatellite(namespace, { cloud: "gcp", region: "asia-east1", outcome: "promote" }),
    ]);
    await waitLive(first.satelliteId, second.satelliteId, third.satelliteId);
    const { rollout } = await client.startRollout({
      ...base,
      waves: [
        { satelliteId: first.satelliteId },
        { satelliteId: second.satelliteId },
        { satelliteId: third.satelliteId },
      ],
      rollbackCompletedWavesOnFailure: true,
    });
    const id = rollout?.id ?? "";

    let final: MultiClusterRollout | undefined;
    await eventually(async () => {
      final = (await client.getRollout({ rolloutId: id })).rollout;
      expect(final?.phase).toBe(RolloutPhase.ROLLED_BACK);
    }, 15_000);
    expect(final?.waves.map((wave) => wave.status)).toEqual([
      RolloutWaveStatus.REVERTED,
      RolloutWaveStatus.ROLLED_BACK,
      RolloutWaveStatus.HALTED,
    ]);
    expect(final?.message).toContain("wave 2 (aws-eu-west-1) rolled back");
    expect(final?.currentWave).toBe(1);
    // The third region never saw the release.
    expect(third.calls.filter((call) => call.method === "startRollout")).toEqual([]);
    // The first was asked to abort (ignored once promoted), then got a reverse rollout: versions swapped.
    expect(first.calls.some((call) => call.method === "abortRollout" && call.rolloutId === `${id}-w1`)).toBe(true);
    const revert = first.calls.find((call) => call.method === "startRollout" && call.rolloutId === `${id}-w1-revert`);
    expect(revert?.start).toMatchObject({ stableVersion: "v2", canaryVersion: "v1", parentId: id });
    expect(revert?.start?.policyYaml).toContain("steps: [100]");
    // Traffic was back at 100 % on v1 when the wave counted as reverted; the reverse rollout then finishes.
    await eventually(async () => {
      const current = (await client.getRollout({ rolloutId: id })).rollout;
      expect(current?.waves[0]?.revert).toMatchObject({ id: `${id}-w1-revert`, phase: RolloutPhase.PROMOTED });
    }, 5_000);
    expect(final?.waves[1]?.rollout?.phase).toBe(RolloutPhase.ROLLED_BACK);

    // The incident of the failing wave is on record; REST shows the same rollout to the dashboard.
    const history = await client.getRolloutHistory({ rolloutId: id });
    expect(history.incidents.map((incident) => incident.summary)).toEqual(["3 consecutive breaches of error_rate"]);
    const rest = (await (
      await fetch(`${coordinator.httpUrl}/api/v1/rollouts/${id}`, { headers: bearerHeaders(coordinator.adminToken) })
    ).json()) as {
      phase: string;
      waves: Array<{ status: string }>;
    };
    expect(rest.phase).toBe("ROLLOUT_PHASE_ROLLED_BACK");
    expect(rest.waves.map((wave) => wave.status)).toEqual([
      "ROLLOUT_WAVE_STATUS_REVERTED",
      "ROLLOUT_WAVE_STATUS_ROLLED_BACK",
      "ROLLOUT_WAVE_STATUS_HALTED",
    ]);
    const listed = (await (
      await fetch(`${coordinator.httpUrl}/api/v1/rollouts?service=checkout`, {
        headers: bearerHeaders(coordinator.adminToken),
      })
    ).json()) as {
      rollouts: Array<{ id: string }>;
    };
    expect(listed.rollouts.map((entry) => entry.id)).toEqual([id]);
  });

  it("aborts by hand: the wave in flight goes back to stable and the later waves never start", async () => {
    const [first, second] = await Promise.all([
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "us-east-1", outcome: "hold" }),
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "eu-west-1", outcome: "promote" }),
    ]);
    await waitLive(first.satelliteId, second.satelliteId);
    const { rollout } = await client.startRollout({
      ...base,
      waves: [{ satelliteId: first.satelliteId }, { satelliteId: second.satelliteId }],
    });
    const id = rollout?.id ?? "";
    const stream = watch({ rolloutId: id });
    await eventually(async () => {
      expect((await client.getRollout({ rolloutId: id })).rollout?.waves[0]?.rollout?.phase).toBe(
        RolloutPhase.PROGRESSING,
      );
    }, 5_000);

    // REST abort, as the dashboard does it.
    const response = await fetch(`${coordinator.httpUrl}/api/v1/rollouts/${id}/abort`, {
      method: "POST",
      headers: bearerHeaders(coordinator.adminToken, { "content-type": "application/json" }),
      body: JSON.stringify({ reason: "bad dashboard numbers", actor: "alice" }),
    });
    expect(response.status).toBe(200);
    expect(first.calls.some((call) => call.method === "abortRollout" && call.rolloutId === `${id}-w1`)).toBe(true);

    await eventually(async () => {
      const current = (await client.getRollout({ rolloutId: id })).rollout;
      expect(current?.phase).toBe(RolloutPhase.ABORTED);
      expect(current?.waves.map((wave) => wave.status)).toEqual([
        RolloutWaveStatus.ROLLED_BACK,
        RolloutWaveStatus.HALTED,
      ]);
    }, 10_000);
    expect(second.calls.filter((call) => call.method === "startRollout")).toEqual([]);
    expect(first.rollouts.get(`${id}-w1`)?.canaryWeight).toBe(0);
    await eventually(() => expect(stream.at(-1)?.rollout?.phase).toBe(RolloutPhase.ABORTED), 5_000);

    // Finished: nothing left to abort or promote.
    await expect(client.abortRollout({ rolloutId: id })).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
    await expect(client.promoteRollout({ rolloutId: id })).rejects.toMatchObject({ code: "FAILED_PRECONDITION" });
  });

  it("promotes by hand: the held wave finishes at once and the next one starts", async () => {
    const [first, second] = await Promise.all([
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "us-east-1", outcome: "hold" }),
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "eu-west-1", outcome: "promote" }),
    ]);
    await waitLive(first.satelliteId, second.satelliteId);
    const { rollout } = await client.startRollout({
      ...base,
      waves: [{ satelliteId: first.satelliteId }, { satelliteId: second.satelliteId }],
    });
    const id = rollout?.id ?? "";
    const promoted = await client.promoteRollout({ rolloutId: id, full: true, actor: "bob" });
    expect(promoted.rollout?.waves[0]?.rollout?.phase).toBe(RolloutPhase.PROMOTED);
    await eventually(async () => {
      expect((await client.getRollout({ rolloutId: id })).rollout?.phase).toBe(RolloutPhase.PROMOTED);
    }, 10_000);
    expect(second.calls.some((call) => call.method === "startRollout" && call.rolloutId === `${id}-w2`)).toBe(true);
  });

  it("resumes after a coordinator restart: the outage's events are applied and the next wave starts", async () => {
    const [slow, next] = await Promise.all([
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "us-east-1", outcome: "promote", stepMs: 2_500 }),
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "eu-west-1", outcome: "promote" }),
    ]);
    await waitLive(slow.satelliteId, next.satelliteId);
    const { rollout } = await client.startRollout({
      ...base,
      waves: [{ satelliteId: slow.satelliteId }, { satelliteId: next.satelliteId }],
    });
    const id = rollout?.id ?? "";
    await coordinator.process.stop();
    // Wave 1 is promoted while no coordinator runs; its events wait in JetStream.
    await eventually(() => expect(slow.endedAtMs.has(`${id}-w1`)).toBe(true), 10_000);
    expect(next.calls).toEqual([]);

    const restarted = await startCoordinatorProcess(namespace, COORDINATOR_ENV);
    const again = createServiceClient(CoordinatorService, restarted.grpcAddress, credentials.createInsecure(), {
      metadata: bearerMetadata(restarted.adminToken),
    });
    namespace.defer(() => again.close());
    await eventually(async () => {
      const current = (await again.getRollout({ rolloutId: id })).rollout;
      expect(current?.phase).toBe(RolloutPhase.PROMOTED);
      expect(current?.waves.map((wave) => wave.status)).toEqual([
        RolloutWaveStatus.PROMOTED,
        RolloutWaveStatus.PROMOTED,
      ]);
    }, 15_000);
    expect(next.calls.filter((call) => call.method === "startRollout").map((call) => call.rolloutId)).toEqual([
      `${id}-w2`,
    ]);
    const history = await again.getRolloutHistory({ rolloutId: id });
    expect(history.decisions).toHaveLength(slow.published.decisions + next.published.decisions);
  }, 60_000);

  it("shares the work between two coordinator replicas: one leader dispatches, every replica's watchers see the changes", async () => {
    const other = await startCoordinatorProcess(namespace, COORDINATOR_ENV);
    const otherClient = createServiceClient(CoordinatorService, other.grpcAddress, credentials.createInsecure(), {
      metadata: bearerMetadata(other.adminToken),
    });
    namespace.defer(() => otherClient.close());
    const [first, second] = await Promise.all([
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "us-east-1", outcome: "promote" }),
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "eu-west-1", outcome: "promote" }),
    ]);
    await waitLive(first.satelliteId, second.satelliteId);
    const leaders = [coordinator, other].filter((replica) =>
      replica.process.output().includes('"rollout orchestrator leader"'),
    );
    expect(leaders).toHaveLength(1);

    // Watch on one replica, start on the other.
    const seen: WatchRolloutsResponse[] = [];
    const controller = new AbortController();
    namespace.defer(() => controller.abort());
    void (async () => {
      try {
        for await (const message of otherClient.watchRollouts({}, { signal: controller.signal })) seen.push(message);
      } catch {
        // ends with the test
      }
    })();
    await eventually(() => expect(seen.some((message) => message.snapshotComplete)).toBe(true), 5_000);
    const { rollout } = await client.startRollout({
      ...base,
      waves: [{ satelliteId: first.satelliteId }, { satelliteId: second.satelliteId }],
    });
    const id = rollout?.id ?? "";
    await eventually(() => {
      expect(seen.filter((message) => message.rollout?.id === id).at(-1)?.rollout?.phase).toBe(RolloutPhase.PROMOTED);
    }, 15_000);
    // Wave 2 was dispatched once, by the leader alone.
    expect(second.calls.filter((call) => call.method === "startRollout")).toHaveLength(1);
  }, 60_000);

  it("refuses bad starts with the field at fault and leaves no record behind", async () => {
    const [good, refusing] = await Promise.all([
      startFakeRolloutSatellite(namespace, { cloud: "aws", region: "us-east-1", outcome: "hold" }),
      startFakeRolloutSatellite(namespace, {
        cloud: "aws",
        region: "eu-west-1",
        outcome: "hold",
        refuseStart: SentraError.invalidArgument("policy_yaml", "policy.yaml:1:1: stpes: unknown field"),
      }),
    ]);
    await waitLive(good.satelliteId, refusing.satelliteId);
    const rejects = (request: Parameters<typeof client.startRollout>[0]) => client.startRollout(request);

    await expect(rejects({ ...base, service: "", waves: [{ satelliteId: good.satelliteId }] })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "service",
    });
    await expect(rejects({ ...base, waves: [{ satelliteId: "aws-ap-south-1" }] })).rejects.toMatchObject({
      code: "NOT_FOUND",
      field: "waves[0].satellite_id",
    });
    await expect(rejects({ ...base, waves: [{ region: "mars-north-1" }] })).rejects.toMatchObject({
      code: "NOT_FOUND",
      field: "waves[0].region",
    });
    await expect(
      rejects({ ...base, waves: [{ satelliteId: good.satelliteId }, { satelliteId: good.satelliteId }] }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "waves[1]" });
    // The satellite's own refusal of the first wave is the caller's error, with the field it named.
    const refused = await rejects({ ...base, waves: [{ satelliteId: refusing.satelliteId }] }).catch(
      (error: unknown) => error as SentraError,
    );
    expect(refused).toMatchObject({ code: "INVALID_ARGUMENT", field: "policy_yaml" });
    expect((refused as SentraError).message).toContain("aws-eu-west-1 refused the first wave");
    expect((await client.listRollouts({})).rollouts).toEqual([]);

    // One active rollout per service: the second start names the first.
    const { rollout } = await client.startRollout({ ...base, waves: [{ satelliteId: good.satelliteId }] });
    await expect(rejects({ ...base, waves: [{ satelliteId: good.satelliteId }] })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      details: { rolloutId: rollout?.id },
    });
    await expect(client.getRollout({ rolloutId: "ro-missing" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      field: "rollout_id",
    });
    await expect(client.listRollouts({ pageSize: 501 })).rejects.toMatchObject({ field: "page_size" });
    // REST answers the same errors in the one JSON shape.
    const missing = await fetch(`${coordinator.httpUrl}/api/v1/rollouts/ro-missing`, {
      headers: bearerHeaders(coordinator.adminToken),
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "NOT_FOUND", field: "rollout_id" } });
    const badBody = await fetch(`${coordinator.httpUrl}/api/v1/rollouts/${rollout?.id}/promote`, {
      method: "POST",
      headers: bearerHeaders(coordinator.adminToken, { "content-type": "application/json" }),
      body: JSON.stringify({ full: "yes" }),
    });
    expect(badBody.status).toBe(400);
    expect(await badBody.json()).toMatchObject({ error: { code: "INVALID_ARGUMENT", field: "full" } });
  });
});

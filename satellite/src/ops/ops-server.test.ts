import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { startOpsServer } from "./ops-server.js";

describe("the satellite's ops server", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("answers readiness on /healthz from its health report and liveness on /livez regardless", async () => {
    let ok = true;
    const ops = await startOpsServer("127.0.0.1", 0, new Registry(), () => ({ ok, nats: ok ? "open" : "closed" }));
    close = ops.close;
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    ok = false;
    const notReady = await fetch(`${ops.url}/healthz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ok: false, nats: "closed" });
    const live = await fetch(`${ops.url}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });
    expect((await fetch(`${ops.url}/nothing`)).status).toBe(404);
  });
});

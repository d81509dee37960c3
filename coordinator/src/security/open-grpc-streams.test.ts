import { createLogger, type SentraError } from "@sentra/common";
import type { CallContext } from "@sentra/proto";
import { describe, expect, it } from "vitest";
import { OpenGrpcStreams } from "./open-grpc-streams.js";
import { TokenRevocations } from "./token-revocations.js";

function fakeStream(method: string): CallContext & { endedWith: SentraError | undefined } {
  const stream = {
    method,
    streaming: true,
    principal: undefined,
    endedWith: undefined as SentraError | undefined,
    end(error: SentraError) {
      stream.endedWith = error;
    },
  };
  return stream as unknown as CallContext & { endedWith: SentraError | undefined };
}

describe("open gRPC streams", () => {
  it("ends the streams of a token revoked here at once, and of one revoked elsewhere at the re-check", async () => {
    const active = new Set(["a", "b", "c"]);
    const streams = new OpenGrpcStreams(
      { activeIds: async (ids) => new Set(ids.filter((id) => active.has(id))) },
      createLogger("test", "silent"),
    );
    const revocations = new TokenRevocations();
    const stop = streams.watch(revocations, 60_000);
    const [first, second, third, finished] = ["WatchRollouts", "WatchMigrations", "WatchRollouts", "WatchRollouts"].map(
      fakeStream,
    );
    streams.add(first as CallContext, "a");
    streams.add(second as CallContext, "a");
    streams.add(third as CallContext, "b");
    streams.add(finished as CallContext, "c");
    streams.remove(finished as CallContext);

    revocations.announce(["a"]);
    expect([first?.endedWith?.code, second?.endedWith?.code, third?.endedWith]).toEqual([
      "UNAUTHENTICATED",
      "UNAUTHENTICATED",
      undefined,
    ]);
    expect(streams.size).toBe(1);

    active.delete("b");
    active.delete("c");
    await streams.recheck();
    expect(third?.endedWith?.message).toBe("the token was revoked");
    expect(finished?.endedWith).toBeUndefined();
    expect(streams.size).toBe(0);
    stop();
  });
});

describe("streams per token", () => {
  it("refuses one stream more than a token may hold open, and counts closed ones out", () => {
    const streams = new OpenGrpcStreams({ activeIds: async () => new Set() }, createLogger("test", "silent"), 2);
    const [a, b, c, d] = ["WatchRollouts", "WatchMigrations", "WatchOpportunities", "WatchRollouts"].map(fakeStream);
    streams.add(a as CallContext, "t1");
    streams.add(b as CallContext, "t1");
    expect(() => streams.add(c as CallContext, "t1")).toThrow(/already holds 2 open streams \(at most 2\)/);
    // Another token has its own allowance; a closed stream frees a place; a refused one was never counted.
    streams.add(d as CallContext, "t2");
    streams.remove(c as CallContext);
    streams.remove(a as CallContext);
    streams.add(c as CallContext, "t1");
    expect(streams.size).toBe(3);
  });
});

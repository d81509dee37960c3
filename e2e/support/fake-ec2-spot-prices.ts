import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestNamespace } from "@sentra/testkit";

/** A local stand-in for the EC2 query API answering DescribeSpotPriceHistory in its XML shape. */
export interface FakeEc2 {
  readonly url: string;
  /** DescribeSpotPriceHistory calls answered so far. */
  calls(): number;
}

/**
 * Serves `prices` (USD per hour by instance type) in zones a, b and c of `region`, one page, in the
 * shape of satellite/src/price/fixtures/aws-describe-spot-price-history-page-*.xml. Closed with the namespace.
 */
export async function startFakeEc2(
  namespace: TestNamespace,
  region: string,
  prices: Record<string, number>,
): Promise<FakeEc2> {
  let calls = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      if (form.get("Action") !== "DescribeSpotPriceHistory") {
        response.writeHead(400, { "content-type": "text/xml" });
        response.end(
          "<Response><Errors><Error><Code>InvalidAction</Code><Message>unsupported</Message></Error></Errors></Response>",
        );
        return;
      }
      calls++;
      const wanted = [...form.entries()].filter(([key]) => key.startsWith("InstanceType.")).map(([, value]) => value);
      const items = Object.entries(prices)
        .filter(([type]) => wanted.length === 0 || wanted.includes(type))
        .flatMap(([type, usd]) =>
          ["a", "b", "c"].map(
            (zone) =>
              `<item><instanceType>${type}</instanceType><productDescription>Linux/UNIX</productDescription>` +
              `<spotPrice>${usd.toFixed(6)}</spotPrice><timestamp>2026-12-07T09:00:00.000Z</timestamp>` +
              `<availabilityZone>${region}${zone}</availabilityZone></item>`,
          ),
        )
        .join("");
      response.writeHead(200, { "content-type": "text/xml;charset=UTF-8" });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><DescribeSpotPriceHistoryResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
          `<requestId>e2e-${calls}</requestId><spotPriceHistorySet>${items}</spotPriceHistorySet><nextToken/></DescribeSpotPriceHistoryResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  namespace.defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls };
}

/** Where the test kit finds the real services. Environment first, then this machine's defaults. */
export interface ServiceUrls {
  natsUrl: string;
  redisUrl: string;
  mysqlUrl: string;
}

/** @default nats://127.0.0.1:4222, redis://127.0.0.1:6379, mysql://root@127.0.0.1:3306/test */
export function serviceUrlsFromEnv(env: Record<string, string | undefined> = process.env): ServiceUrls {
  return {
    natsUrl: env.NATS_URL ?? "nats://127.0.0.1:4222",
    redisUrl: env.REDIS_URL ?? "redis://127.0.0.1:6379",
    mysqlUrl: env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306/test",
  };
}

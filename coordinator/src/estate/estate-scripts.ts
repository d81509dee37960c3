/**
 * Lua scripts the estate store runs in Redis. A script is atomic, so a batch of heartbeats from
 * several coordinator replicas can never interleave half-way, and a satellite being forgotten
 * cannot lose a heartbeat that arrived in the same instant. Standalone Redis only: the scripts
 * touch keys derived from their arguments (as the store's MULTI blocks already do).
 */

/**
 * Applies a batch of heartbeats. KEYS: health hash, last-seen zset, deadline zset, order hash.
 * ARGV[1]: now (ms); then per heartbeat five values: id, order (`<startedAtMs>:<sequence>` or
 * empty), last seen (ms), stale deadline (ms), payload. A heartbeat older than the one applied
 * (same start, lower sequence: it lost a race between replicas) is skipped.
 * Returns one code per heartbeat: 0 applied, 1 first seen, 2 back from stale, 3 out of order.
 */
export const APPLY_HEARTBEATS_LUA = `
local now = tonumber(ARGV[1])
local out = {}
local n = (#ARGV - 1) / 5
for i = 0, n - 1 do
  local b = 2 + i * 5
  local id = ARGV[b]
  local order = ARGV[b + 1]
  local skip = false
  if order ~= '' then
    local previous = redis.call('HGET', KEYS[4], id)
    if previous then
      local ps, pq = string.match(previous, '^(%d+):(%d+)$')
      local ns, nq = string.match(order, '^(%d+):(%d+)$')
      if ps and ns and ps == ns and tonumber(nq) < tonumber(pq) then skip = true end
    end
  end
  if skip then
    out[i + 1] = 3
  else
    local deadline = redis.call('ZSCORE', KEYS[3], id)
    if not deadline then
      out[i + 1] = 1
    elseif tonumber(deadline) < now then
      out[i + 1] = 2
    else
      out[i + 1] = 0
    end
    redis.call('HSET', KEYS[1], id, ARGV[b + 4])
    redis.call('ZADD', KEYS[2], ARGV[b + 2], id)
    redis.call('ZADD', KEYS[3], ARGV[b + 3], id)
    if order ~= '' then redis.call('HSET', KEYS[4], id, order) end
  end
end
return out
`;

/**
 * Forgets satellites last seen before a cutoff. KEYS as for the heartbeats; ARGV: cutoff (ms,
 * exclusive), the store's key prefix, the most to forget in one call. Removes the satellite's
 * health, scores, order, workloads (and their revision) and price references; returns the ids it removed.
 */
export const FORGET_SATELLITES_LUA = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('DEL', ARGV[2] .. 'workloads:' .. id, ARGV[2] .. 'price-ref:' .. id, ARGV[2] .. 'inventory-rev:' .. id)
end
return ids
`;

import { SentraError } from "@sentra/common";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `--timeout 90s`, `5m`, `1h30m` (as kubectl wait takes them); a bare number is seconds. */
export function parseDuration(value: string, field: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1_000;
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ""] ?? Number.NaN);
    consumed = pattern.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length || !Number.isFinite(total) || total <= 0) {
    throw SentraError.invalidArgument(field, `${JSON.stringify(value)} is not a duration like 90s, 5m or 1h30m`);
  }
  return total;
}

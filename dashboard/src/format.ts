/** Formatting for the dashboard: prices, percentages, sizes and ages, all compact and tabular. */

/** `$0.0312`, `$1.24`: four significant digits below $1, cents above. */
export function formatUsd(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (value >= 100) return `$${value.toFixed(0)}`;
  if (value >= 1) return `$${value.toFixed(2)}`;
  return `$${value.toPrecision(3)}`;
}

/** `+1.2%`, `−0.8%`, `0.0%` (a real minus sign, so columns of numbers line up). */
export function formatPercent(fraction: number): string {
  const percent = fraction * 100;
  const text = Math.abs(percent) >= 10 ? Math.abs(percent).toFixed(0) : Math.abs(percent).toFixed(1);
  if (text === "0.0" || text === "0") return "0.0%";
  return `${percent < 0 ? "−" : "+"}${text}%`;
}

/** `512 MiB`, `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GiB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

/** `250m`, `1 core`, `1.5 cores`. */
export function formatMillicores(millicores: number): string {
  if (millicores < 1000) return `${millicores}m`;
  const cores = (millicores / 1000).toFixed(millicores % 1000 === 0 ? 0 : 1);
  return `${cores} ${cores === "1" ? "core" : "cores"}`;
}

/** `0.4 s ago`, `12 s ago`, `3 min ago`, `2 h ago`. */
export function formatAge(ageMs: number): string {
  const seconds = Math.max(0, ageMs) / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s ago`;
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** `14:02:11` in the viewer's time zone. */
export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

/** `$1.33`, `−$2.09`, `$0.00750`: a signed amount (a real minus sign), as {@link formatUsd}. */
export function formatUsdSigned(value: number): string {
  if (!Number.isFinite(value)) return "—";
  return value < 0 ? `−${formatUsd(-value)}` : formatUsd(value);
}

/** `$0.0600/h`. */
export function formatUsdPerHour(value: number): string {
  return `${formatUsdSigned(value)}/h`;
}

/** `45 min`, `1.8 h`, `12 h`, `3.5 d`: how long until something happens. */
export function formatHours(hours: number): string {
  if (!Number.isFinite(hours)) return "—";
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 10) return `${hours.toFixed(1)} h`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${(hours / 24).toFixed(1)} d`;
}

/** `45 s`, `5 min`, `2.5 min`, `1.5 h`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  if (minutes < 90) return `${Number.isInteger(minutes) ? minutes : minutes.toFixed(1)} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

/**
 * A gate's value in its unit, read from its name: `*_ms` in milliseconds, `*_rate` / `*_ratio`
 * (fractions 0–1) in percent, anything else as a plain number. `—` when unknown.
 */
export function formatGateValue(gate: string, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "—";
  if (value === 0)
    return gate.endsWith("_ms") ? "0 ms" : gate.endsWith("_rate") || gate.endsWith("_ratio") ? "0 %" : "0";
  if (gate.endsWith("_ms")) return `${value >= 100 ? Math.round(value) : value.toPrecision(3)} ms`;
  if (gate.endsWith("_rate") || gate.endsWith("_ratio")) {
    const percent = value * 100;
    return `${percent >= 10 ? percent.toFixed(0) : percent >= 1 ? percent.toFixed(1) : percent.toPrecision(2)} %`;
  }
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

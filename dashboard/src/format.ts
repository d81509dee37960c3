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

import type { PricePoint } from "@sentra/common/dashboard-protocol";
import { useId } from "react";

/**
 * A price history as a small SVG line over a soft area, scaled to its own range (the label next to
 * it gives the numbers). Flat histories draw a level line in the middle.
 */
export function Sparkline({
  points,
  color,
  width = 132,
  height = 34,
  label,
}: {
  points: readonly PricePoint[];
  color: string;
  width?: number;
  height?: number;
  label: string;
}) {
  const gradientId = useId();
  if (points.length === 0)
    return <svg className="sparkline" width={width} height={height} role="img" aria-label={label} />;
  const pad = 3;
  const times = points.map(([atMs]) => atMs);
  const values = points.map(([, value]) => value);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const x = (atMs: number): number => (t1 === t0 ? width - pad : pad + ((atMs - t0) / (t1 - t0)) * (width - 2 * pad));
  const y = (value: number): number =>
    high === low ? height / 2 : pad + (1 - (value - low) / (high - low)) * (height - 2 * pad);
  // Prices are step functions: draw horizontal then vertical, not diagonals that invent prices.
  let line = "";
  points.forEach(([atMs, value], index) => {
    if (index === 0) line += `M${x(atMs).toFixed(1)},${y(value).toFixed(1)}`;
    else line += `H${x(atMs).toFixed(1)}V${y(value).toFixed(1)}`;
  });
  const last = points.at(-1) ?? points[0];
  const lastX = last ? x(last[0]) : width;
  const lastY = last ? y(last[1]) : height / 2;
  const area = `${line}V${height}H${x(points[0]?.[0] ?? t0).toFixed(1)}Z`;
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <defs>
        <linearGradient id={gradientId} x1="0" y1="0" x2="0" y2="1">
          <stop offset="0%" stopColor={color} stopOpacity="0.32" />
          <stop offset="100%" stopColor={color} stopOpacity="0" />
        </linearGradient>
      </defs>
      {points.length === 1 && (
        // One observation so far: its level, dashed, until a history builds up.
        <line x1={pad} x2={lastX} y1={lastY} y2={lastY} stroke={color} strokeOpacity="0.45" strokeDasharray="2 3" />
      )}
      <path d={area} fill={`url(#${gradientId})`} />
      <path d={line} fill="none" stroke={color} strokeWidth="1.6" strokeLinejoin="round" strokeLinecap="round" />
      <circle cx={lastX} cy={lastY} r="2.6" fill={color} />
      <circle cx={lastX} cy={lastY} r="5" fill={color} opacity="0.25" />
    </svg>
  );
}

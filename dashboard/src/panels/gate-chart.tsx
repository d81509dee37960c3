import { formatGateValue } from "../format";
import { TONE_COLORS } from "../globe/palette";
import {
  type ChartBox,
  chartScale,
  evidenceRange,
  type GatePoint,
  type GateSeries,
  passingSide,
  weightChanges,
} from "../operations/gate-chart";

const OUTCOME_COLORS = {
  pass: TONE_COLORS.cheaper,
  breach: TONE_COLORS.stale,
  unknown: "#64748b",
} as const;

const BOX: ChartBox = { width: 356, height: 84, top: 16, right: 10, bottom: 16, left: 46 };

/** @default 64 — pixels a step's label needs; a step closer than that to the last label goes unlabelled. */
const STEP_LABEL_PX = 64;

/** Where the canary weight changed, and which of those have room for a label. */
function stepMarks(points: readonly GatePoint[], x: (atMs: number) => number) {
  let lastLabelX = Number.NEGATIVE_INFINITY;
  return weightChanges(points).map((point) => {
    const at = x(point.atMs);
    const labelled = at - lastLabelX >= STEP_LABEL_PX && at <= BOX.width - BOX.right - STEP_LABEL_PX / 2;
    if (labelled) lastLabelX = at;
    return { point, labelled };
  });
}

/** An SVG path joining consecutive known values; an unknown (null) breaks the line. */
function brokenLinePath(
  points: readonly GatePoint[],
  read: (point: GatePoint) => number | null,
  x: (atMs: number) => number,
  y: (value: number) => number,
): string {
  let path = "";
  let open = false;
  for (const point of points) {
    const value = read(point);
    if (value === null) {
      open = false;
      continue;
    }
    path += `${open ? "L" : "M"}${x(point.atMs).toFixed(1)},${y(value).toFixed(1)}`;
    open = true;
  }
  return path;
}

/** `4 min`, `45 s`: the span a chart covers. */
function span(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

/**
 * One gate's values over a wave's decisions against its threshold (SVG): the failing side of the
 * threshold tinted, the threshold dashed, the severe threshold dotted (or labelled when far above),
 * a dot per evaluation coloured by its outcome (unknowns as grey ticks on the baseline), and the
 * canary weight of each step along the top.
 */
export function GateChart({ series }: { series: GateSeries }) {
  const scale = chartScale(series, BOX);
  const { gate, threshold, severeThreshold, points } = series;
  const left = BOX.left;
  const right = BOX.width - BOX.right;
  const top = BOX.top;
  const bottom = BOX.height - BOX.bottom;
  const thresholdY = scale.y(threshold);
  const failingAbove = passingSide(series) === "below";
  const path = brokenLinePath(points, (point) => point.value, scale.x, scale.y);
  const severeY = severeThreshold !== null && scale.severeShown ? scale.y(severeThreshold) : undefined;
  const label = `${gate}: ${points.length} evaluations against the threshold ${formatGateValue(gate, threshold)}`;
  return (
    <svg
      className="gate-chart"
      width={BOX.width}
      height={BOX.height}
      viewBox={`0 0 ${BOX.width} ${BOX.height}`}
      role="img"
      aria-label={label}
      data-testid={`gate-chart-${gate}`}
      data-points={points.length}
    >
      <rect
        x={left}
        width={right - left}
        y={failingAbove ? top : thresholdY}
        height={Math.max(0, failingAbove ? thresholdY - top : bottom - thresholdY)}
        className="gate-fail-zone"
      />
      <line x1={left} x2={right} y1={bottom} y2={bottom} className="gate-axis" />
      <text x={left - 6} y={top + 4} className="gate-tick" textAnchor="end">
        {formatGateValue(gate, scale.yMax)}
      </text>
      <text x={left - 6} y={bottom + 3} className="gate-tick" textAnchor="end">
        {formatGateValue(gate, scale.yMin)}
      </text>
      {stepMarks(points, scale.x).map(({ point, labelled }) => (
        <g key={`w-${point.atMs}`}>
          <line x1={scale.x(point.atMs)} x2={scale.x(point.atMs)} y1={top} y2={bottom} className="gate-step" />
          {labelled && (
            <text x={scale.x(point.atMs) + 3} y={top - 5} className="gate-step-label">
              canary {point.canaryWeight} %
            </text>
          )}
        </g>
      ))}
      <line x1={left} x2={right} y1={thresholdY} y2={thresholdY} className="gate-threshold" />
      <text x={left - 6} y={thresholdY + 3} className="gate-threshold-label" textAnchor="end">
        {formatGateValue(gate, threshold)}
      </text>
      {severeY !== undefined && <line x1={left} x2={right} y1={severeY} y2={severeY} className="gate-severe" />}
      {severeThreshold !== null && (
        <text
          x={right}
          y={severeY !== undefined ? severeY - 3 : top + 4}
          className="gate-severe-label"
          textAnchor="end"
        >
          severe {formatGateValue(gate, severeThreshold)}
          {severeY === undefined ? " ↑" : ""}
        </text>
      )}
      <path d={path} className="gate-line" />
      {points.map((point) =>
        point.value === null ? (
          <line
            key={point.atMs}
            x1={scale.x(point.atMs)}
            x2={scale.x(point.atMs)}
            y1={bottom - 5}
            y2={bottom}
            stroke={OUTCOME_COLORS.unknown}
            strokeWidth="1.5"
          />
        ) : (
          <circle
            key={point.atMs}
            cx={scale.x(point.atMs)}
            cy={scale.y(point.value)}
            r="2.4"
            fill={OUTCOME_COLORS[point.outcome]}
          />
        ),
      )}
      {points.length > 1 && (
        <>
          <text x={left} y={BOX.height - 3} className="gate-tick">
            −{span(scale.t1 - scale.t0)}
          </text>
          <text x={right} y={BOX.height - 3} className="gate-tick" textAnchor="end">
            last evaluation
          </text>
        </>
      )}
    </svg>
  );
}

const EVIDENCE_BOX: ChartBox = { width: 356, height: 58, top: 12, right: 10, bottom: 14, left: 46 };

/**
 * A sequential gate's evidence over the same evaluations: how far it is towards conclusive
 * (1, dashed: the rollout rolls back), so an operator sees it build up before it decides —
 * ln(e-value)/ln(1/α) for errors, z over its critical z for latency. Gaps where it is undefined.
 */
export function EvidenceChart({ series }: { series: GateSeries }) {
  const { gate, points } = series;
  const box = EVIDENCE_BOX;
  const left = box.left;
  const right = box.width - box.right;
  const top = box.top;
  const bottom = box.height - box.bottom;
  const { min, max } = evidenceRange(points);
  // The same time axis as the value chart above it.
  const { x } = chartScale(series, box);
  const y = (value: number) => top + (1 - (Math.min(max, Math.max(min, value)) - min) / (max - min)) * (bottom - top);
  const path = brokenLinePath(points, (point) => point.progress, x, y);
  const known = points.filter((point) => point.progress !== null);
  const latest = known.at(-1)?.progress ?? null;
  const percent = latest === null ? "n/a" : `${Math.round(Math.max(0, latest) * 100)} %`;
  return (
    <svg
      className="evidence-chart"
      width={box.width}
      height={box.height}
      viewBox={`0 0 ${box.width} ${box.height}`}
      role="img"
      aria-label={`${gate}: evidence ${percent} of the way to conclusive`}
      data-testid={`evidence-chart-${gate}`}
      data-points={known.length}
      data-progress={latest ?? ""}
    >
      <line x1={left} x2={right} y1={y(0)} y2={y(0)} className="gate-axis" />
      <line x1={left} x2={right} y1={y(1)} y2={y(1)} className="gate-threshold" />
      <text x={left - 6} y={y(1) + 3} className="gate-threshold-label" textAnchor="end">
        100 %
      </text>
      <text x={left - 6} y={y(0) + 3} className="gate-tick" textAnchor="end">
        0 %
      </text>
      <text x={right} y={y(1) - 3} className="gate-severe-label" textAnchor="end">
        conclusive: roll back
      </text>
      <text x={left} y={box.height - 1} className="gate-tick">
        evidence vs baseline, share of the way to conclusive: {percent}
      </text>
      <path d={path} className="evidence-line" />
      {known.map((point) => (
        <circle
          key={point.atMs}
          cx={x(point.atMs)}
          cy={y(point.progress ?? 0)}
          r="2"
          fill={(point.progress ?? 0) >= 1 ? OUTCOME_COLORS.breach : OUTCOME_COLORS.unknown}
        />
      ))}
    </svg>
  );
}

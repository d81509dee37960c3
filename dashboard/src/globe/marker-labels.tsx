import { useFrame, useThree } from "@react-three/fiber";
import { memo, useCallback, useMemo } from "react";
import { Vector3 } from "three";
import { formatPercent, formatUsd } from "../format";
import type { DashboardModel } from "../live/dashboard-model";
import type { RegionSummary } from "../live/region-summary";
import { useDashboardModel, useLive } from "../live/use-live";
import { latLonToVector3 } from "./geo";

interface LabelEntry {
  element: HTMLElement;
  position: Vector3;
  /** Measured when the label's content changes, so projection never forces a layout. */
  width: number;
  height: number;
  urgent: boolean;
  resize: ResizeObserver | undefined;
  last: { x: number; y: number; opacity: number; placement: string; hidden: boolean };
}

/**
 * Where the DOM markers are: filled by `MarkerLabels` (React, outside the canvas), read every frame
 * by `LabelProjector` (inside it). One projection loop for all markers instead of one component
 * per marker, so 1,000 regions cost one pass and no React work per frame.
 */
export class LabelRegistry {
  readonly entries = new Map<string, LabelEntry>();
}

/** Pixels between a marker and its label's left edge. */
const LABEL_OFFSET_X = 14;
/** At most this many full labels on screen; the rest show as markers only. */
const MAX_FULL_LABELS = 40;
/** Beyond this many markers in view the globe is crowded: fewer labels, allowed over markers. */
const CROWDED_MARKERS = 80;
const MAX_FULL_LABELS_CROWDED = 12;
/** How often the page's panels (elements marked `data-occludes`) are measured, in ms. */
const OBSTACLE_REFRESH_MS = 500;
/** Half the size of the area a marker's disc covers on screen, in pixels. */
const MARKER_RADIUS_PX = 9;

type Box = readonly [left: number, top: number, right: number, bottom: number];

function markerBox(x: number, y: number): Box {
  return [x - MARKER_RADIUS_PX, y - MARKER_RADIUS_PX, x + MARKER_RADIUS_PX, y + MARKER_RADIUS_PX];
}

function labelBox(x: number, y: number, entry: LabelEntry, side: "right" | "left"): Box {
  const left = side === "right" ? x + LABEL_OFFSET_X - 3 : x - LABEL_OFFSET_X - entry.width - 3;
  const top = y - entry.height / 2 - 3;
  return [left, top, left + entry.width + 6, top + entry.height + 6];
}

function overlaps(a: Box, b: Box): boolean {
  return a[0] < b[2] && a[2] > b[0] && a[1] < b[3] && a[3] > b[1];
}

/** Projects markers to the screen each frame: position, fade at the horizon, decluttered labels. */
export function LabelProjector({ registry, model }: { registry: LabelRegistry; model: DashboardModel }) {
  const camera = useThree((state) => state.camera);
  const obstacles = useMemo(() => ({ measuredAtMs: Number.NEGATIVE_INFINITY, boxes: [] as Box[] }), []);
  const size = useThree((state) => state.size);
  const projected = new Vector3();
  const cameraDirection = new Vector3();
  useFrame(() => {
    const cameraDistance = camera.position.length();
    cameraDirection.copy(camera.position).normalize();
    const focus = model.focus.get();
    const hover = model.hover.get();
    const visible: Array<{ key: string; entry: LabelEntry; x: number; y: number; facing: number; rank: number }> = [];
    for (const [key, entry] of registry.entries) {
      // Seen from the camera, a point of the unit sphere is in front of the horizon when p·c > 1.
      const facing = entry.position.dot(camera.position);
      if (facing <= 1.02) {
        setHidden(entry, true);
        continue;
      }
      projected.copy(entry.position).project(camera);
      const x = (projected.x * 0.5 + 0.5) * size.width;
      const y = (-projected.y * 0.5 + 0.5) * size.height;
      // 1 straight below the camera, 0 at the horizon; labels fade in over the outer quarter.
      const centrality = (facing - 1) / (cameraDistance - 1);
      const openness = Math.min(1, Math.max(0, centrality - 0.02) / 0.25);
      const rank = (key === focus ? 4 : 0) + (key === hover ? 3 : 0) + (entry.urgent ? 1 : 0) + centrality;
      visible.push({ key, entry, x, y, facing: openness, rank });
    }
    visible.sort((a, b) => b.rank - a.rank);
    // Greedy declutter, most important first: a label goes right of its marker, else left, and
    // never over another label or another marker; one that fits nowhere shows as a marker only.
    const nowMs = performance.now();
    if (nowMs - obstacles.measuredAtMs > OBSTACLE_REFRESH_MS) {
      obstacles.measuredAtMs = nowMs;
      obstacles.boxes = [...document.querySelectorAll("[data-occludes]")].map((element) => {
        const rect = element.getBoundingClientRect();
        return [rect.left, rect.top, rect.right, rect.bottom] as const;
      });
    }
    // On an uncrowded globe no label covers a marker; on a crowded one that would leave room only at
    // the horizon, so a few labels (the most central) go over the field of markers instead.
    const crowded = visible.length > CROWDED_MARKERS;
    const maxLabels = crowded ? MAX_FULL_LABELS_CROWDED : MAX_FULL_LABELS;
    const placed: Box[] = crowded ? [] : visible.map((item) => markerBox(item.x, item.y));
    const ownBoxes = placed.length;
    placed.push(...obstacles.boxes);
    let fullLabels = 0;
    for (const [index, item] of visible.entries()) {
      let side: "right" | "left" | undefined;
      if (fullLabels < maxLabels && item.facing > 0.3) {
        const own = index < ownBoxes ? index : -1;
        for (const candidate of ["right", "left"] as const) {
          const box = labelBox(item.x, item.y, item.entry, candidate);
          if (!placed.some((other, otherIndex) => otherIndex !== own && overlaps(box, other))) {
            placed.push(box);
            side = candidate;
            fullLabels += 1;
            break;
          }
        }
      }
      place(item.entry, item.x, item.y, 0.35 + 0.65 * item.facing, side);
    }
  });
  return null;
}

function setHidden(entry: LabelEntry, hidden: boolean): void {
  if (entry.last.hidden === hidden) return;
  entry.last.hidden = hidden;
  // display: none (CSS) takes a marker behind the globe out of layout and paint altogether.
  entry.element.dataset.visible = hidden ? "false" : "true";
}

function place(entry: LabelEntry, x: number, y: number, opacity: number, side: "right" | "left" | undefined): void {
  setHidden(entry, false);
  const last = entry.last;
  if (!(Math.abs(last.x - x) <= 0.05 && Math.abs(last.y - y) <= 0.05)) {
    entry.element.style.transform = `translate3d(${x.toFixed(1)}px, ${y.toFixed(1)}px, 0)`;
    last.x = x;
    last.y = y;
  }
  const roundedOpacity = Math.round(opacity * 50) / 50;
  if (roundedOpacity !== last.opacity) {
    entry.element.style.opacity = String(roundedOpacity);
    last.opacity = roundedOpacity;
  }
  const placement = side ?? "none";
  if (placement !== last.placement) {
    entry.element.dataset.label = placement;
    last.placement = placement;
  }
}

/** What the projector last wrote to each marker element (it starts hidden, as rendered). */
const lastPlacement = new WeakMap<HTMLElement, LabelEntry["last"]>();

const TREND_GLYPH = { down: "▼", up: "▲" } as const;

/** One marker: a focusable hit target on the globe marker, and its label. */
const RegionMarker = memo(function RegionMarker({
  summary,
  focused,
  registry,
}: {
  summary: RegionSummary;
  focused: boolean;
  registry: LabelRegistry;
}) {
  const model = useDashboardModel();
  const { key, region } = summary;
  const urgent = summary.tone === "stale" || summary.tone === "degraded";
  const register = useCallback(
    (element: HTMLDivElement | null) => {
      const previous = registry.entries.get(key);
      if (previous && previous.element !== element) {
        previous.resize?.disconnect();
        registry.entries.delete(key);
      }
      if (!element || previous?.element === element) return;
      const label = element.querySelector<HTMLElement>(".marker-label");
      let last = lastPlacement.get(element);
      if (!last) {
        last = { x: Number.NaN, y: Number.NaN, opacity: -1, placement: "right", hidden: true };
        lastPlacement.set(element, last);
      }
      const entry: LabelEntry = {
        element,
        position: latLonToVector3(region.latitude, region.longitude, 1),
        width: label?.offsetWidth || 120,
        height: label?.offsetHeight || 34,
        urgent,
        last,
        resize: undefined,
      };
      // Re-measured only when the label's size changes (content, font), never during projection.
      if (label && typeof ResizeObserver !== "undefined") {
        entry.resize = new ResizeObserver(() => {
          // A label that is not shown measures 0: keep its last real size.
          if (label.offsetWidth > 0) entry.width = label.offsetWidth;
          if (label.offsetHeight > 0) entry.height = label.offsetHeight;
        });
        entry.resize.observe(label);
      }
      registry.entries.set(key, entry);
    },
    [registry, key, region.latitude, region.longitude, urgent],
  );
  const satelliteIds = summary.satellites.map((satellite) => satellite.id).join(" ");
  const status = summary.live ? "live" : "stale";
  const price = summary.headline ? `${formatUsd(summary.headline.usdPerVcpuHour)} per vCPU hour` : "no fresh price";
  return (
    <div
      ref={register}
      className="marker"
      data-testid={`region-marker-${key}`}
      data-region={key}
      data-satellites={satelliteIds}
      data-liveness={status}
      data-tone={summary.tone}
      data-focused={focused ? "true" : "false"}
      data-visible="false"
    >
      <button
        type="button"
        className="marker-hit"
        aria-label={`${region.displayName || region.name} (${region.name}): ${status}, ${price}`}
        onClick={() => model.focus.set(focused ? undefined : key)}
        onPointerEnter={() => model.hover.set(key)}
        onPointerLeave={() => model.hover.get() === key && model.hover.set(undefined)}
      />
      <div className="marker-label" aria-hidden="true">
        <span className="marker-label-name">
          <span className="marker-label-code">{region.name}</span>
          <span className="marker-label-cloud">{region.cloud}</span>
        </span>
        <span className="marker-label-price" data-testid={`region-price-${key}`}>
          {summary.headline ? formatUsd(summary.headline.usdPerVcpuHour) : summary.live ? "no price" : "stale"}
          {summary.headline && <span className="marker-label-unit">/vCPU·h</span>}
          {summary.headline && (summary.trend === "up" || summary.trend === "down") && (
            <span className={`marker-label-trend trend-${summary.trend}`}>
              {TREND_GLYPH[summary.trend]} {formatPercent(summary.trendFraction)}
            </span>
          )}
        </span>
      </div>
    </div>
  );
}, sameMarker);

function sameMarker(
  a: { summary: RegionSummary; focused: boolean; registry: LabelRegistry },
  b: { summary: RegionSummary; focused: boolean; registry: LabelRegistry },
): boolean {
  return (
    a.focused === b.focused &&
    a.registry === b.registry &&
    a.summary.key === b.summary.key &&
    a.summary.tone === b.summary.tone &&
    a.summary.live === b.summary.live &&
    a.summary.trend === b.summary.trend &&
    Math.abs(a.summary.trendFraction - b.summary.trendFraction) < 1e-4 &&
    a.summary.headline?.usdPerVcpuHour === b.summary.headline?.usdPerVcpuHour &&
    a.summary.satellites.length === b.summary.satellites.length &&
    a.summary.satellites.every((satellite, index) => satellite.id === b.summary.satellites[index]?.id)
  );
}

/** The DOM layer of markers over the canvas: positioned by `LabelProjector`, clickable, labelled. */
export function MarkerLabels({ registry }: { registry: LabelRegistry }) {
  const model = useDashboardModel();
  useLive(model.regions, model.regions.getVersion);
  const focus = useLive(model.focus, model.focus.get);
  const regions = [...model.regions.get().values()];
  return (
    <div className="marker-layer">
      {regions.map((summary) => (
        <RegionMarker key={summary.key} summary={summary} focused={summary.key === focus} registry={registry} />
      ))}
    </div>
  );
}

import type { RegionTone } from "../live/region-summary";

const ENTRIES: Array<[RegionTone, string, string]> = [
  ["steady", "Live", "a ring on each heartbeat"],
  ["cheaper", "Cheaper", "prices falling"],
  ["pricier", "Pricier", "prices rising"],
  ["degraded", "Degraded", "a cluster unreachable"],
  ["stale", "Stale", "missed 3 heartbeats"],
];

/** What the marker colours mean. */
export function Legend() {
  return (
    <section className="legend" aria-label="Marker colours">
      {ENTRIES.map(([tone, name, meaning]) => (
        <div key={tone} className="legend-row">
          <span className="legend-swatch" data-tone={tone} />
          <span className="legend-name">{name}</span>
          <span className="legend-meaning">{meaning}</span>
        </div>
      ))}
      <div className="legend-row">
        <span className="legend-arc" />
        <span className="legend-name">Move</span>
        <span className="legend-meaning">an opportunity or migration</span>
      </div>
    </section>
  );
}

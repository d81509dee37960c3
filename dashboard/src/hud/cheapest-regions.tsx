import { formatPercent, formatUsd } from "../format";
import { useDashboardModel, useLive } from "../live/use-live";

const SHOWN = 6;

/** The regions with the cheapest fresh compute right now (per vCPU-hour); click to fly there. */
export function CheapestRegions() {
  const model = useDashboardModel();
  useLive(model.regions, model.regions.getVersion);
  const focus = useLive(model.focus, model.focus.get);
  const ranked = [...model.regions.get().values()]
    .filter((region) => region.live && region.headline)
    .sort((a, b) => (a.headline?.usdPerVcpuHour ?? 0) - (b.headline?.usdPerVcpuHour ?? 0));
  if (ranked.length === 0) return null;
  const best = ranked[0]?.headline?.usdPerVcpuHour ?? 1;
  return (
    <section className="ranking" aria-label="Cheapest regions">
      <h2>
        Cheapest compute <span className="ranking-unit">per vCPU·h</span>
      </h2>
      <ol>
        {ranked.slice(0, SHOWN).map((region, index) => (
          <li key={region.key}>
            <button
              type="button"
              data-active={region.key === focus ? "true" : "false"}
              data-tone={region.tone}
              onClick={() => model.focus.set(region.key)}
            >
              <span className="rank">{index + 1}</span>
              <span className="ranking-name">
                <span>{region.region.name}</span>
                <span className="ranking-cloud">
                  {region.region.cloud.toUpperCase()} · {region.region.city || region.region.displayName}
                </span>
              </span>
              <span className="ranking-value">
                <span className="ranking-price">{formatUsd(region.headline?.usdPerVcpuHour ?? 0)}</span>
                <span className="ranking-delta">
                  {index === 0 ? "cheapest" : formatPercent((region.headline?.usdPerVcpuHour ?? best) / best - 1)}
                </span>
              </span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** `us-east-1` with its cloud in small capitals, from a region key `aws:us-east-1`. */
export function RegionTag({ regionKey }: { regionKey: string }) {
  const colon = regionKey.indexOf(":");
  const cloud = colon >= 0 ? regionKey.slice(0, colon) : "";
  const name = colon >= 0 ? regionKey.slice(colon + 1) : regionKey;
  return (
    <span className="region-tag" title={regionKey}>
      {cloud && <span className={`region-tag-cloud cloud-${cloud}`}>{cloud}</span>}
      <span className="region-tag-name">{name || "—"}</span>
    </span>
  );
}

/** Source → target. */
export function Route({ from, to }: { from: string; to: string }) {
  return (
    <span className="route">
      <RegionTag regionKey={from} />
      <span className="route-arrow" aria-hidden="true">
        →
      </span>
      <span className="visually-hidden">to</span>
      <RegionTag regionKey={to} />
    </span>
  );
}

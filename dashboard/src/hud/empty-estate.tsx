import { useDashboardModel, useLive } from "../live/use-live";

/** Signed in to an estate with no satellite yet: say what will appear and how to get there. */
export function EmptyEstate() {
  const model = useDashboardModel();
  const status = useLive(model.connection.state, () => model.connection.state.get().status);
  const satellites = useLive(model.stores.satellites, () => model.stores.satellites.size);
  if (status !== "live" || satellites > 0) return null;
  return (
    <section className="empty-estate" role="status" data-testid="empty-estate">
      <h2>Waiting for satellites</h2>
      <p>
        Each satellite appears here within one heartbeat of connecting to NATS. Start the demo estate with{" "}
        <code>npm run demo</code>, or a satellite with{" "}
        <code>SENTRA_CLOUD=aws SENTRA_REGION=eu-west-1 node satellite/dist/main.js</code>.
      </p>
    </section>
  );
}

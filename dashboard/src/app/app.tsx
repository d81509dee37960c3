import { useEffect, useState } from "react";
import { SignIn } from "../auth/sign-in";
import { clearToken, loadToken, saveToken } from "../auth/token-storage";
import { GlobeView } from "../globe/globe-view";
import { CheapestRegions } from "../hud/cheapest-regions";
import { EmptyEstate } from "../hud/empty-estate";
import { Hud } from "../hud/hud";
import { HudNotices } from "../hud/hud-notices";
import { Legend } from "../hud/legend";
import type { DashboardModel } from "../live/dashboard-model";
import { DashboardModelContext, useLive } from "../live/use-live";
import { MigrateDialog } from "../panels/migrate-dialog";
import { OperationsPanel } from "../panels/operations-panel";
import { RegionPanel } from "../panels/region-panel";

/**
 * Sign-in until the coordinator accepts the token (the first snapshot arrives), then the globe
 * with its HUD and panels. A token refused later (rotated on the coordinator) returns here.
 */
export function App({ model }: { model: DashboardModel }) {
  const [signedIn, setSignedIn] = useState(() => loadToken() !== undefined);
  const [pendingToken, setPendingToken] = useState<string>();
  const status = useLive(model.connection.state, () => model.connection.state.get().status);
  const error = useLive(model.connection.state, () => model.connection.state.get().error);

  useEffect(() => {
    const token = loadToken();
    if (token) model.connection.connect(token);
  }, [model]);

  useEffect(() => {
    if (status === "live" && pendingToken) {
      saveToken(pendingToken);
      setPendingToken(undefined);
      setSignedIn(true);
    }
    if (status === "rejected") {
      clearToken();
      setPendingToken(undefined);
      setSignedIn(false);
    }
  }, [status, pendingToken]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === "Escape" && model.migrateFlow.state.get().step === "closed") model.focus.set(undefined);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [model]);

  const signOut = (): void => {
    clearToken();
    model.connection.close();
    model.focus.set(undefined);
    model.migrateFlow.close();
    setSignedIn(false);
  };

  return (
    <DashboardModelContext.Provider value={model}>
      <div className="app" data-signed-in={signedIn ? "true" : "false"}>
        <GlobeView model={signedIn ? model : undefined} />
        {signedIn ? (
          <>
            <Hud onSignOut={signOut} />
            <HudNotices />
            <div className="left-column" data-occludes>
              <CheapestRegions />
              <Legend />
            </div>
            <RegionPanel />
            <OperationsPanel />
            <EmptyEstate />
            <MigrateDialog />
            <p className="hint">Drag to turn · scroll to zoom · click a region · Esc to return</p>
          </>
        ) : (
          <SignIn
            busy={pendingToken !== undefined && status === "connecting"}
            error={status === "rejected" || pendingToken ? error : undefined}
            onSubmit={(token) => {
              setPendingToken(token);
              model.connection.connect(token);
            }}
          />
        )}
      </div>
    </DashboardModelContext.Provider>
  );
}

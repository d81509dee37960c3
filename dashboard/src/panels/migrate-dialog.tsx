import type { MigrationPlanView } from "@sentra/common/dashboard-protocol";
import { useEffect, useRef } from "react";
import { statusLine } from "../live/migrate-flow";
import { useDashboardModel, useLive } from "../live/use-live";
import { planArithmetic } from "../operations/plan-arithmetic";
import { Route } from "./region-tag";
import { SagaProgress } from "./saga-progress";

/**
 * The one-click migration: the dry run's arithmetic first, Confirm to start, then the saga live.
 * A refusal shows its reason and numbers here (and on the HUD).
 */
export function MigrateDialog() {
  const model = useDashboardModel();
  const flow = model.migrateFlow;
  const state = useLive(flow.state, flow.state.get);
  const { migrations } = model.stores;
  useLive(migrations, migrations.getVersion);
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (state.step === "closed") return;
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === "Escape") {
        event.stopPropagation();
        flow.close();
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [state.step, flow]);
  useEffect(() => {
    if (state.step !== "closed") closeButton.current?.focus();
  }, [state.step]);
  if (state.step === "closed") return null;

  const migration = state.step === "following" ? migrations.get(state.migrationId) : undefined;
  const workload = state.step === "following" ? migration?.workload : state.request.workload;
  const plan = state.step === "following" ? (migration?.plan ?? null) : "plan" in state ? state.plan : null;
  const title = workload ? `${workload.namespace}/${workload.name}` : "migration";
  const from = plan?.source.regionKey ?? "";
  const to =
    plan?.target.regionKey || (state.step !== "following" ? (state.request.targetRegion ?? "best target") : "");

  return (
    <div className="dialog-backdrop" data-occludes>
      <div
        className="dialog migrate-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="migrate-dialog-title"
        data-testid="migrate-dialog"
        data-step={state.step}
      >
        <header className="dialog-header">
          <div>
            <span className="dialog-kicker">{state.step === "following" ? "Migration" : "Dry run"}</span>
            <h2 id="migrate-dialog-title">Move {title}</h2>
            {from && <Route from={from} to={to} />}
          </div>
          <button
            ref={closeButton}
            type="button"
            className="icon-button"
            onClick={() => flow.close()}
            aria-label="Close"
          >
            ×
          </button>
        </header>
        {state.step === "planning" && (
          <p className="dialog-busy">
            <span className="spinner light" /> Pricing the move on the live estate…
          </p>
        )}
        {(state.step === "review" || state.step === "starting" || state.step === "refused") && plan && (
          <Arithmetic plan={plan} />
        )}
        {state.step === "refused" && (
          <div className="refusal" role="alert" data-testid="migrate-refusal" data-code={state.error.code}>
            <strong>{statusLine(state.error.httpStatus)}</strong>
            <span className="refusal-code">{state.plan?.refusalCode || state.error.code}</span>
            <p>{state.error.message}</p>
          </div>
        )}
        {state.step === "following" &&
          (migration ? (
            <SagaProgress migration={migration} />
          ) : (
            <p className="dialog-busy">Waiting for the journal…</p>
          ))}
        <footer className="dialog-footer">
          {state.step === "review" || state.step === "starting" ? (
            <>
              <span className="dialog-note">
                Make-before-break: the target is scaled up and ready before the source is scaled down.
              </span>
              <button type="button" className="ghost-button" onClick={() => flow.close()}>
                Cancel
              </button>
              <button
                type="button"
                className="migrate-confirm"
                data-testid="migrate-confirm"
                disabled={state.step === "starting"}
                onClick={() => void flow.confirm()}
              >
                {state.step === "starting" ? "Starting…" : "Migrate now"}
              </button>
            </>
          ) : (
            <button type="button" className="ghost-button" onClick={() => flow.close()}>
              Close
            </button>
          )}
        </footer>
      </div>
    </div>
  );
}

/** The dry run's arithmetic, one line per term, every number with its unit. */
function Arithmetic({ plan }: { plan: MigrationPlanView }) {
  const lines = planArithmetic(plan);
  if (lines.length === 0) {
    return <p className="panel-empty">No numbers: a price needed for this move is stale or missing.</p>;
  }
  return (
    <table className="arithmetic" data-testid="migrate-arithmetic" data-accepted={plan.accepted ? "true" : "false"}>
      <tbody>
        {lines.map((line) => (
          <tr key={line.id} data-line={line.id} data-tone={line.tone}>
            <th scope="row">{line.label}</th>
            <td className="arithmetic-formula">{line.formula}</td>
            <td className="arithmetic-value" data-testid={`arithmetic-${line.id}`}>
              {line.value}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

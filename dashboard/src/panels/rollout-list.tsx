import {
  ROLLOUT_END_PHASES,
  type RolloutDecisionView,
  type RolloutView,
  type RolloutWaveView,
} from "@sentra/common/dashboard-protocol";
import { useState } from "react";
import { formatClock, formatGateValue } from "../format";
import { canAct } from "../live/dashboard-model";
import { statusLine } from "../live/migrate-flow";
import { useDashboardModel, useLive } from "../live/use-live";
import { describeEvidence, gateSeries } from "../operations/gate-chart";
import { EvidenceChart, GateChart } from "./gate-chart";
import { RegionTag } from "./region-tag";

/** @default 6 — decisions listed per rollout (newest first); the charts show all that are kept. */
const DECISIONS_SHOWN = 6;

/** Rollouts: the unfinished ones first, then the recently finished. */
export function RolloutList() {
  const model = useDashboardModel();
  const { rollouts } = model.stores;
  useLive(rollouts, rollouts.getVersion);
  const operator = useLive(model.connection.state, () => canAct(model));
  const all = [...rollouts.values()].sort((a, b) => {
    const ended = Number(ROLLOUT_END_PHASES.includes(a.phase)) - Number(ROLLOUT_END_PHASES.includes(b.phase));
    return ended || b.createdAtMs - a.createdAtMs;
  });
  if (all.length === 0) {
    return (
      <section className="panel-section">
        <p className="panel-empty" data-testid="rollouts-empty">
          No rollout yet. Start one from a terminal:{" "}
          <code>
            npx sentra rollout start &lt;service&gt; -n &lt;namespace&gt; --stable v1 --canary v2 --wave
            &lt;satellite&gt;
          </code>{" "}
          (docs/cli.md), or with the coordinator's <code>StartRollout</code> gRPC call.
        </p>
      </section>
    );
  }
  return (
    <>
      {all.map((rollout) => (
        <RolloutCard key={rollout.key} rollout={rollout} operator={operator} />
      ))}
    </>
  );
}

function RolloutCard({ rollout, operator }: { rollout: RolloutView; operator: boolean }) {
  const [chosenWave, setChosenWave] = useState<number>();
  const waveIndex = chosenWave ?? rollout.currentWave;
  const wave = rollout.waves.find((candidate) => candidate.index === waveIndex) ?? rollout.waves[0];
  const ended = ROLLOUT_END_PHASES.includes(rollout.phase);
  const series = wave ? gateSeries(rollout.decisions, wave.index) : [];
  const decisions = rollout.decisions
    .filter((decision) => !wave || decision.waveIndex === wave.index)
    .slice(-DECISIONS_SHOWN)
    .reverse();
  return (
    <section
      className="panel-section rollout-card"
      data-testid={`rollout-${rollout.id}`}
      data-phase={rollout.phase}
      aria-label={`Rollout ${rollout.namespace}/${rollout.service}`}
    >
      <header className="rollout-header">
        <div className="rollout-title">
          <span className="rollout-service">
            {rollout.namespace}/{rollout.service}
          </span>
          <span className="rollout-versions">
            <code>{rollout.stableVersion}</code> → <code>{rollout.canaryVersion}</code>
          </span>
        </div>
        <span className="phase-pill" data-phase={rollout.phase} data-testid="rollout-phase">
          {rollout.phase.replaceAll("_", " ").toLowerCase()}
        </span>
      </header>
      {rollout.message && <p className="rollout-message">{rollout.message}</p>}
      {rollout.waves.length > 1 && (
        <div className="wave-tabs" role="tablist" aria-label="Waves">
          {rollout.waves.map((candidate) => (
            <button
              key={candidate.index}
              type="button"
              role="tab"
              aria-selected={candidate.index === wave?.index}
              className="wave-tab"
              data-status={candidate.status}
              onClick={() => setChosenWave(candidate.index)}
            >
              <span className="wave-tab-number">{candidate.index + 1}</span>
              <RegionTag regionKey={candidate.regionKey || candidate.satelliteId} />
            </button>
          ))}
        </div>
      )}
      {wave && <WaveSteps wave={wave} waves={rollout.waves.length} />}
      <div className="gates">
        {series.length === 0 ? (
          <p className="panel-empty">No gate evaluated yet (warming up).</p>
        ) : (
          series.map((gate) => {
            const latest = gate.points.at(-1);
            return (
              <div key={gate.gate} className="gate" data-testid={`gate-${gate.gate}`}>
                <div className="gate-head">
                  <span className="gate-name">{gate.gate}</span>
                  <span className="gate-latest" data-outcome={latest?.outcome}>
                    <span data-testid={`gate-value-${gate.gate}`}>
                      {formatGateValue(gate.gate, latest?.value ?? null)}
                    </span>
                    <span className="gate-against">
                      {gate.judge === "sequential"
                        ? " vs baseline"
                        : ` vs ${formatGateValue(gate.gate, gate.threshold)}`}
                    </span>
                  </span>
                </div>
                <GateChart series={gate} />
                {gate.judge === "sequential" && <EvidenceChart series={gate} />}
                {gate.evidence && (
                  <p
                    className="gate-evidence"
                    data-testid={`gate-evidence-${gate.gate}`}
                    data-rejected={gate.evidence.rejected}
                  >
                    {describeEvidence(gate.evidence)}
                  </p>
                )}
              </div>
            );
          })
        )}
      </div>
      {decisions.length > 0 && <DecisionList decisions={decisions} />}
      {operator && !ended && <RolloutActions rollout={rollout} />}
    </section>
  );
}

/** The wave's steps as a bar of canary weights, the current one lit. */
function WaveSteps({ wave, waves }: { wave: RolloutWaveView; waves: number }) {
  const weights = wave.stepWeights.length > 0 ? wave.stepWeights : [100];
  return (
    <div className="wave" data-testid="rollout-wave" data-status={wave.status}>
      <div className="wave-line">
        <span>
          Wave {wave.index + 1}/{waves} · <RegionTag regionKey={wave.regionKey || wave.satelliteId} />
        </span>
        <span className="wave-status">{wave.status.replaceAll("_", " ").toLowerCase()}</span>
      </div>
      <ol className="step-bar" aria-label="Canary weight per step">
        {weights.map((weight, index) => {
          const state = index < wave.stepIndex ? "done" : index === wave.stepIndex ? "current" : "todo";
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: steps are positions; weights may repeat
            <li key={index} className="step" data-state={state} data-testid={`step-${index}`}>
              <span className="step-fill" />
              <span className="step-weight">{weight} %</span>
            </li>
          );
        })}
      </ol>
      <div className="wave-figures">
        <span data-testid="rollout-weight">
          step {wave.stepIndex + 1} of {weights.length} · canary at <strong>{wave.canaryWeight} %</strong>
        </span>
        {wave.trafficRouter && <span>via {wave.trafficRouter}</span>}
      </div>
    </div>
  );
}

function DecisionList({ decisions }: { decisions: RolloutDecisionView[] }) {
  return (
    <div className="decisions">
      <h4>Decisions</h4>
      <ol className="decision-list" data-testid="decision-list">
        {decisions.map((decision) => (
          <li key={decision.key} className="decision">
            <span className="decision-time">{formatClock(decision.atMs)}</span>
            <span className="decision-chip" data-decision={decisionTone(decision.decision)}>
              {decision.decision}
            </span>
            <span className="decision-weight">{decision.canaryWeight} %</span>
            <span className="decision-reason" title={decision.reason}>
              {decision.reason ||
                decision.gates.map((gate) => `${gate.gate} ${formatGateValue(gate.gate, gate.value)}`).join(" · ")}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** How a decision reads at a glance. */
function decisionTone(decision: string): "good" | "bad" | "neutral" {
  if (/promot|pass|advanc|complete/i.test(decision)) return "good";
  if (/breach|roll|abort|fail|revert/i.test(decision)) return "bad";
  return "neutral";
}

/** Promote (next step, or all the way) and Abort, for operators; the gateway checks the role again. */
function RolloutActions({ rollout }: { rollout: RolloutView }) {
  const model = useDashboardModel();
  const [busy, setBusy] = useState(false);
  const [confirmingAbort, setConfirmingAbort] = useState(false);
  const name = `${rollout.namespace}/${rollout.service}`;
  const wave = rollout.waves.find((candidate) => candidate.index === rollout.currentWave);
  const nextWeight = wave?.stepWeights[wave.stepIndex + 1];
  const run = async (action: "promote" | "promoteFull" | "abort"): Promise<void> => {
    setBusy(true);
    const answer =
      action === "abort"
        ? await model.connection.act("abortRollout", { rolloutId: rollout.id, reason: "aborted from the dashboard" })
        : await model.connection.act("promoteRollout", { rolloutId: rollout.id, full: action === "promoteFull" });
    setBusy(false);
    setConfirmingAbort(false);
    if (answer.ok) {
      const after = answer.result.rollout;
      const promoted = after.waves.find((candidate) => candidate.index === after.currentWave);
      model.notices.push({
        tone: action === "abort" ? "info" : "success",
        title: action === "abort" ? `Abort of ${name} requested` : `${name} promoted`,
        detail:
          action === "abort"
            ? `traffic goes back to ${rollout.stableVersion}; later waves will not start`
            : `wave ${(promoted?.index ?? 0) + 1} now sends ${promoted?.canaryWeight ?? "?"} % to ${rollout.canaryVersion}`,
      });
      return;
    }
    model.notices.push({
      tone: "error",
      title: `${action === "abort" ? "Abort" : "Promote"} refused: ${statusLine(answer.error.httpStatus)}`,
      detail: answer.error.message,
      code: answer.error.code,
      httpStatus: answer.error.httpStatus,
    });
  };
  if (confirmingAbort) {
    return (
      <div className="rollout-actions confirm" data-testid="abort-confirm">
        <span>
          Abort {name}? Traffic returns to <code>{rollout.stableVersion}</code>.
        </span>
        <button type="button" className="ghost-button" onClick={() => setConfirmingAbort(false)} disabled={busy}>
          Keep going
        </button>
        <button
          type="button"
          className="danger-button"
          data-testid="abort-confirm-button"
          onClick={() => void run("abort")}
          disabled={busy}
        >
          Abort rollout
        </button>
      </div>
    );
  }
  return (
    <div className="rollout-actions">
      <button
        type="button"
        className="action-button"
        data-testid="promote-button"
        onClick={() => void run("promote")}
        disabled={busy}
      >
        {nextWeight === undefined ? "Promote" : `Promote to ${nextWeight} %`}
      </button>
      <button
        type="button"
        className="ghost-button"
        data-testid="promote-full-button"
        onClick={() => void run("promoteFull")}
        disabled={busy}
      >
        Promote fully
      </button>
      <button
        type="button"
        className="danger-ghost-button"
        data-testid="abort-button"
        onClick={() => setConfirmingAbort(true)}
        disabled={busy}
      >
        Abort…
      </button>
    </div>
  );
}

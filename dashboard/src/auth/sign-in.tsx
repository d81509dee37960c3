import { type FormEvent, useState } from "react";

/** The sign-in card: one token, checked by the coordinator when the socket connects. */
export function SignIn({
  busy,
  error,
  onSubmit,
}: {
  busy: boolean;
  error: string | undefined;
  onSubmit: (token: string) => void;
}) {
  const [token, setToken] = useState("");
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (token.trim()) onSubmit(token.trim());
  };
  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title" data-testid="signin-form">
        <div className="brand brand-large">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <div>
            <span className="brand-name">Sentra</span>
            <span className="brand-sub">Estate dashboard</span>
          </div>
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p className="signin-lead">Live satellites, spot prices and workloads across every region you run in.</p>
        <label htmlFor="token">Access token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          spellCheck={false}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-invalid={error ? "true" : "false"}
          aria-describedby={error ? "signin-error" : "signin-help"}
          placeholder="Paste the dashboard token"
          data-testid="token-input"
          required
        />
        {error && (
          <p id="signin-error" className="signin-error" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button
          type="submit"
          className="primary-button"
          disabled={busy || token.trim() === ""}
          data-testid="signin-submit"
        >
          {busy ? <span className="spinner" aria-hidden="true" /> : null}
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p id="signin-help" className="signin-help">
          The coordinator takes the token from <code>SENTRA_DASHBOARD_TOKEN</code>; without it, it generates one into{" "}
          <code>.sentra/dashboard-token</code> in its working directory and logs that path.
        </p>
      </form>
    </main>
  );
}

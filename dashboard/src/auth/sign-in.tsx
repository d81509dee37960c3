import { type FormEvent, useState } from "react";

/** The sign-in card: an API token, checked by the coordinator when the socket connects. */
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
        <label htmlFor="token">API token</label>
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
          placeholder="sentra_…"
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
          Any Sentra API token: a <strong>viewer</strong> token watches, an <strong>operator</strong> token also acts,
          an <strong>admin</strong> token also manages tokens. The coordinator keeps its admin token in{" "}
          <code>.sentra/admin-token</code>; create others with <code>sentra token create --name … --role viewer</code>.
          Your role shows at the top right once signed in.
        </p>
      </form>
    </main>
  );
}

import { useDashboardModel, useLive } from "../live/use-live";

/** The HUD's messages: an action's refusal (with its HTTP status and reason) or its success. */
export function HudNotices() {
  const model = useDashboardModel();
  const notices = useLive(model.notices, model.notices.get);
  if (notices.length === 0) return null;
  return (
    <div className="hud-notices" data-occludes aria-live="assertive">
      {notices.map((notice) => (
        <div
          key={notice.id}
          className="hud-notice"
          data-tone={notice.tone}
          data-code={notice.code}
          data-testid="hud-notice"
          role={notice.tone === "error" ? "alert" : "status"}
        >
          <div className="hud-notice-text">
            <strong className="hud-notice-title">{notice.title}</strong>
            <span className="hud-notice-detail" title={notice.detail}>
              {notice.detail}
            </span>
          </div>
          <button
            type="button"
            className="icon-button small"
            onClick={() => model.notices.dismiss(notice.id)}
            aria-label="Dismiss"
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

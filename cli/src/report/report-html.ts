import type { Table } from "../output/output-format.js";
import { allPass, type Kpi } from "./kpi.js";

/** What a report shows: its KPIs, then tables of the facts behind them. */
export interface ReportDocument {
  readonly title: string;
  readonly subject: string;
  readonly generatedAt: Date;
  readonly source: string;
  readonly kpis: readonly Kpi[];
  readonly sections: readonly { readonly title: string; readonly table: Table }[];
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;margin:32px;}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px}
.meta{color:#5b6478;margin-bottom:16px}
.verdict{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:600;margin-bottom:16px}
.verdict.pass{background:#dff5e3;color:#17652a} .verdict.fail{background:#fde2e1;color:#a1231d}
table{border-collapse:collapse;width:100%;margin-bottom:8px;font-size:12.5px}
th,td{border-bottom:1px solid #e3e6ee;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f4f6fa;font-weight:600}
.badge{font-weight:700;font-size:11px;padding:2px 6px;border-radius:4px}
.badge.pass{background:#dff5e3;color:#17652a} .badge.fail{background:#fde2e1;color:#a1231d} .badge.info{background:#eceff4;color:#5b6478}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
@media print{body{margin:12mm} h2{break-after:avoid} tr{break-inside:avoid}}
`;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function verdictOf(kpi: Kpi): { label: string; css: string } {
  if (kpi.pass === null) return { label: "INFO", css: "info" };
  return kpi.pass ? { label: "PASS", css: "pass" } : { label: "FAIL", css: "fail" };
}

/** A self-contained HTML page (inline style, no scripts): opens anywhere, prints to PDF as it looks. */
export function renderReportHtml(report: ReportDocument): string {
  const judged = report.kpis.filter((kpi) => kpi.pass !== null);
  const passed = judged.filter((kpi) => kpi.pass === true).length;
  const ok = allPass(report.kpis);
  const kpiRows = report.kpis
    .map((kpi) => {
      const verdict = verdictOf(kpi);
      const value = kpi.value === null ? "—" : `${kpi.value}${kpi.unit ? ` ${kpi.unit}` : ""}`;
      return `<tr data-kpi="${escapeHtml(kpi.name)}" data-verdict="${verdict.label}"><td>${escapeHtml(kpi.name)}</td><td class="num">${escapeHtml(value)}</td><td class="num">${escapeHtml(kpi.threshold || "—")}</td><td><span class="badge ${verdict.css}">${verdict.label}</span></td><td>${escapeHtml(kpi.detail)}</td></tr>`;
    })
    .join("\n");
  const sections = report.sections
    .map(
      (section) =>
        `<h2>${escapeHtml(section.title)}</h2>\n<table><thead><tr>${section.table.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>\n${section.table.rows
          .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`)
          .join("\n")}\n</tbody></table>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<div class="meta">${escapeHtml(report.subject)} · generated ${escapeHtml(report.generatedAt.toISOString())} from ${escapeHtml(report.source)}</div>
<div class="verdict ${ok ? "pass" : "fail"}" data-testid="verdict">${ok ? "PASS" : "FAIL"}: ${passed} of ${judged.length} KPIs met their threshold</div>
<h2>KPIs</h2>
<table><thead><tr><th>KPI</th><th>Value</th><th>Threshold</th><th>Result</th><th>Detail</th></tr></thead><tbody>
${kpiRows}
</tbody></table>
${sections}
</body></html>
`;
}

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/app";
import "./app/styles.css";
import { applyPaletteToCss } from "./globe/palette";
import { createDashboardModel } from "./live/dashboard-model";

applyPaletteToCss();
const model = createDashboardModel();
const root = document.getElementById("root");
if (!root) throw new Error("no #root element in index.html");
createRoot(root).render(
  <StrictMode>
    <App model={model} />
  </StrictMode>,
);

export { type CoordinatorConfig, loadCoordinatorConfig } from "./config/coordinator-config.js";
export { type RunningCoordinator, startCoordinator } from "./coordinator.js";

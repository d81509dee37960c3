export {
  type ArbitrageOptions,
  compileArbitrageOptions,
  createSyntheticEstate,
  findOpportunities,
} from "./arbitrage/index.js";
export { type CoordinatorConfig, loadCoordinatorConfig } from "./config/coordinator-config.js";
export { type RunningCoordinator, startCoordinator } from "./coordinator.js";
export { generateApiToken } from "./security/api-token-store.js";

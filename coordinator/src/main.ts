import { runMain } from "@sentra/common";
import { loadCoordinatorConfig } from "./config/coordinator-config.js";
import { startCoordinator } from "./coordinator.js";

void runMain("coordinator", loadCoordinatorConfig, startCoordinator);

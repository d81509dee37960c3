import { runMain } from "@sentra/common";
import { loadSatelliteConfig } from "./config/satellite-config.js";
import { startSatellite } from "./satellite.js";

void runMain("satellite", loadSatelliteConfig, startSatellite);

export { type Cloud, findRegion, isCloud, REGION_CATALOG, type RegionInfo } from "./region-catalog.js";

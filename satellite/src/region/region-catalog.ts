/** A cloud provider id as Sentra spells it. */
export type Cloud = "aws" | "gcp" | "azure";

/** A cloud region Sentra knows, with the fields of the `sentra.v1.Region` message. */
export interface RegionInfo {
  cloud: Cloud;
  /** Provider region name, e.g. "eu-west-1". */
  name: string;
  displayName: string;
  city: string;
  /** Approximate, city-level (WGS 84 degrees). */
  latitude: number;
  longitude: number;
}

/**
 * The regions Sentra's demo and tests use.
 *
 * Source: shared/data/regions.json, which takes coordinates from dgl/cloud-regions (commit
 * 69868bfe4e11002846873a28ae5d9f958ff6e583, `aws|gcp|azure/data.csv`; ODbL-1.0, contains OpenStreetMap
 * data © OpenStreetMap contributors) and AWS city names from ipregistry/aws-regions-location (MIT).
 * The points are approximate (AWS/GCP geocoded from the city or metro the provider names, Azure the
 * point Microsoft publishes). `region-catalog.test.ts` checks every entry against regions.json.
 */
export const REGION_CATALOG: readonly RegionInfo[] = Object.freeze([
  region("aws", "us-east-1", "US East (N. Virginia)", "Ashburn", 37.1232245, -78.4927721),
  region("aws", "us-east-2", "US East (Ohio)", "Columbus", 40.2253569, -82.6881395),
  region("aws", "us-west-2", "US West (Oregon)", "Hermiston", 43.9792797, -120.737257),
  region("aws", "eu-west-1", "EU (Ireland)", "Dublin", 53.3497645, -6.2602732),
  region("aws", "eu-west-2", "EU (London)", "London", 51.5073219, -0.1276474),
  region("aws", "eu-central-1", "EU (Frankfurt)", "Frankfurt", 50.1106444, 8.6820917),
  region("aws", "ap-southeast-1", "Asia Pacific (Singapore)", "Singapore", 1.357107, 103.8194992),
  region("aws", "ap-northeast-1", "Asia Pacific (Tokyo)", "Tokyo", 35.6828387, 139.7594549),
  region("aws", "sa-east-1", "South America (São Paulo)", "São Paulo", -23.5506507, -46.6333824),
  region("gcp", "us-central1", "Council Bluffs, Iowa, North America", "Council Bluffs", 41.258841, -95.8519484),
  region(
    "gcp",
    "us-east1",
    "Moncks Corner, South Carolina, North America",
    "Moncks Corner",
    33.197323499999996,
    -80.01094796275407,
  ),
  region("gcp", "us-west1", "The Dalles, Oregon, North America", "The Dalles", 45.6015056, -121.1841587),
  region("gcp", "europe-west1", "St. Ghislain, Belgium, Europe", "St. Ghislain", 50.4477484, 3.8195241),
  region("gcp", "europe-west3", "Frankfurt, Germany Europe", "Frankfurt", 50.1106444, 8.6820917),
  region("gcp", "asia-southeast1", "Jurong West, Singapore, APAC", "Jurong West", 1.3434392, 103.7058663),
  region("gcp", "asia-northeast1", "Tokyo, Japan, APAC", "Tokyo", 35.6828387, 139.7594549),
  region("gcp", "southamerica-east1", "Osasco, São Paulo, Brazil, South America", "Osasco", -23.5324859, -46.7916801),
  region("azure", "eastus", "Virginia, East US, US", "Virginia", 37.3719, -79.8164),
  region("azure", "northcentralus", "Illinois, North Central US, US", "Illinois", 41.8819, -87.6278),
  region("azure", "southcentralus", "Texas, South Central US, US", "Texas", 29.4167, -98.5),
  region("azure", "westeurope", "Netherlands, West Europe, Europe", "Netherlands", 52.3667, 4.9),
]);

const BY_KEY = new Map(REGION_CATALOG.map((entry) => [`${entry.cloud}/${entry.name}`, entry]));

/** The catalog entry for `name` on `cloud`, or undefined when Sentra does not know that region. */
export function findRegion(cloud: string, name: string): RegionInfo | undefined {
  return BY_KEY.get(`${cloud}/${name}`);
}

/** True for the cloud ids Sentra supports. */
export function isCloud(value: string): value is Cloud {
  return value === "aws" || value === "gcp" || value === "azure";
}

function region(
  cloud: Cloud,
  name: string,
  displayName: string,
  city: string,
  latitude: number,
  longitude: number,
): RegionInfo {
  return Object.freeze({ cloud, name, displayName, city, latitude, longitude });
}

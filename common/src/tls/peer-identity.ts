/**
 * Who is who on the mTLS links between the coordinator and the satellites: the common name (CN)
 * of a certificate names its holder's role, and for a satellite its id. Every certificate of an
 * estate comes from one CA, so the CN — not the CA — is what tells a satellite from the coordinator.
 */

/** The common name of the coordinator's certificate: the only client a satellite serves. */
export const COORDINATOR_COMMON_NAME = "coordinator";

const SATELLITE_PREFIX = "satellite:";

/** The common name of satellite `satelliteId`'s certificate, e.g. `satellite:aws-eu-west-1`. */
export function satelliteCommonName(satelliteId: string): string {
  return `${SATELLITE_PREFIX}${satelliteId}`;
}

/** The satellite id a common name names, or undefined when it is not a satellite's. */
export function satelliteIdOfCommonName(commonName: string): string | undefined {
  return commonName.startsWith(SATELLITE_PREFIX) ? commonName.slice(SATELLITE_PREFIX.length) : undefined;
}

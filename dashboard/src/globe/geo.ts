import { Vector3 } from "three";

/** Radius of the globe in scene units; everything else is relative to it. */
export const GLOBE_RADIUS = 1;

const DEG = Math.PI / 180;

/**
 * WGS 84 degrees → a point on a sphere: north is +y, lon 0 faces +z, east is +x (seen from +z the
 * map is not mirrored).
 */
export function latLonToVector3(
  latitude: number,
  longitude: number,
  radius = GLOBE_RADIUS,
  target = new Vector3(),
): Vector3 {
  const lat = latitude * DEG;
  const lon = longitude * DEG;
  return target.set(
    radius * Math.cos(lat) * Math.sin(lon),
    radius * Math.sin(lat),
    radius * Math.cos(lat) * Math.cos(lon),
  );
}

/**
 * `count` points spread almost evenly over the unit sphere (a Fibonacci lattice), as latitude and
 * longitude in degrees: `[lat0, lon0, lat1, lon1, …]`.
 */
export function fibonacciLatLons(count: number): Float32Array {
  const out = new Float32Array(count * 2);
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let i = 0; i < count; i++) {
    const y = 1 - (2 * (i + 0.5)) / count;
    const longitude = (((((i * golden) / DEG + 180) % 360) + 360) % 360) - 180;
    out[i * 2] = Math.asin(y) / DEG;
    out[i * 2 + 1] = longitude;
  }
  return out;
}

/** Camera azimuth/polar (camera-controls convention) that look at (lat, lon) from outside. */
export function orbitAnglesOf(latitude: number, longitude: number): { azimuth: number; polar: number } {
  return { azimuth: longitude * DEG, polar: Math.PI / 2 - latitude * DEG };
}

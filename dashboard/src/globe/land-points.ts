import { Vector3 } from "three";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import { fibonacciLatLons, latLonToVector3 } from "./geo";

/** Width of the equirectangular land mask in pixels (0.25° per pixel). */
const MASK_WIDTH = 1_440;
const MASK_HEIGHT = MASK_WIDTH / 2;

export interface LandPoints {
  /** xyz per point on the unit sphere. */
  positions: Float32Array;
  /** Latitude per point (degrees), for shading. */
  latitudes: Float32Array;
  count: number;
}

/**
 * Land as dots: a Fibonacci lattice of `samples` points over the sphere, kept where Natural Earth's
 * land (world-atlas, 1:110m) is. The land polygons are filled once into an equirectangular mask on
 * a 2D canvas, so each point is a single pixel lookup instead of a point-in-polygon test.
 */
export function buildLandPoints(topology: Topology, samples: number): LandPoints {
  const mask = rasterizeLand(topology);
  const lattice = fibonacciLatLons(samples);
  const positions: number[] = [];
  const latitudes: number[] = [];
  const point = new Vector3();
  for (let i = 0; i < samples; i++) {
    const latitude = lattice[i * 2] ?? 0;
    const longitude = lattice[i * 2 + 1] ?? 0;
    if (!isLand(mask, latitude, longitude)) continue;
    latLonToVector3(latitude, longitude, 1, point);
    positions.push(point.x, point.y, point.z);
    latitudes.push(latitude);
  }
  return { positions: new Float32Array(positions), latitudes: new Float32Array(latitudes), count: latitudes.length };
}

function rasterizeLand(topology: Topology): Uint8ClampedArray {
  const canvas = document.createElement("canvas");
  canvas.width = MASK_WIDTH;
  canvas.height = MASK_HEIGHT;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) throw new Error("2D canvas unavailable: cannot build the land mask");
  const land = feature(topology, topology.objects.land as GeometryCollection);
  const x = (longitude: number): number => ((longitude + 180) / 360) * MASK_WIDTH;
  const y = (latitude: number): number => ((90 - latitude) / 180) * MASK_HEIGHT;
  context.fillStyle = "#fff";
  context.beginPath();
  for (const item of land.features) {
    const geometry = item.geometry;
    const polygons =
      geometry.type === "Polygon"
        ? [geometry.coordinates]
        : geometry.type === "MultiPolygon"
          ? geometry.coordinates
          : [];
    for (const polygon of polygons) {
      for (const ring of polygon) {
        // A ring that crosses the antimeridian (Fiji, Chukotka) jumps by ~360°: unwrap it into one
        // continuous outline and draw it once per copy of the map, so both halves are filled.
        const unwrapped = unwrapLongitudes(ring);
        for (const shift of [-360, 0, 360]) {
          unwrapped.forEach(([longitude, latitude], index) => {
            if (index === 0) context.moveTo(x(longitude + shift), y(latitude));
            else context.lineTo(x(longitude + shift), y(latitude));
          });
          context.closePath();
        }
      }
    }
  }
  context.fill("evenodd");
  // Antarctica's ring stops at 85.6° S: the cap beyond is land too.
  context.fillRect(0, y(-85.5), MASK_WIDTH, MASK_HEIGHT - y(-85.5));
  return context.getImageData(0, 0, MASK_WIDTH, MASK_HEIGHT).data;
}

function unwrapLongitudes(ring: readonly (readonly number[])[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let offset = 0;
  let previous: number | undefined;
  for (const [longitude = 0, latitude = 0] of ring) {
    if (previous !== undefined) {
      const jump = longitude + offset - previous;
      if (jump > 180) offset -= 360;
      else if (jump < -180) offset += 360;
    }
    previous = longitude + offset;
    out.push([previous, latitude]);
  }
  return out;
}

function isLand(mask: Uint8ClampedArray, latitude: number, longitude: number): boolean {
  const px = Math.min(MASK_WIDTH - 1, Math.max(0, Math.floor(((longitude + 180) / 360) * MASK_WIDTH)));
  const py = Math.min(MASK_HEIGHT - 1, Math.max(0, Math.floor(((90 - latitude) / 180) * MASK_HEIGHT)));
  return (mask[(py * MASK_WIDTH + px) * 4] ?? 0) > 127;
}

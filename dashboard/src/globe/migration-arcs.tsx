import { useFrame } from "@react-three/fiber";
import { MIGRATION_END_STATES } from "@sentra/common/dashboard-protocol";
import { useEffect, useMemo } from "react";
import {
  AdditiveBlending,
  type BufferGeometry,
  CatmullRomCurve3,
  Color,
  Float32BufferAttribute,
  Mesh,
  ShaderMaterial,
  TubeGeometry,
  Vector3,
} from "three";
import { mergeGeometries } from "three/examples/jsm/utils/BufferGeometryUtils.js";
import type { DashboardModel } from "../live/dashboard-model";
import { latLonToVector3 } from "./geo";
import { OPPORTUNITY_COLOR } from "./palette";

const ARC_VERTEX = /* glsl */ `
  attribute float aRunning;
  varying float vT;
  varying float vRunning;
  void main() {
    vT = uv.x;
    vRunning = aRunning;
    gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
  }
`;

/** A faint arc with pulses flowing from source to target; a running migration flows faster and brighter. */
const ARC_FRAGMENT = /* glsl */ `
  uniform float uTime;
  uniform vec3 uColor;
  varying float vT;
  varying float vRunning;
  void main() {
    float speed = mix(0.22, 0.6, vRunning);
    float phase = fract(vT * 2.0 - uTime * speed);
    float pulse = smoothstep(0.0, 0.12, phase) * smoothstep(0.42, 0.12, phase);
    float ends = smoothstep(0.0, 0.05, vT) * smoothstep(1.0, 0.95, vT);
    float alpha = (mix(0.5, 0.65, vRunning) + pulse * 0.8) * ends;
    vec3 color = mix(uColor, vec3(1.0), 0.15 + pulse * 0.4 + vRunning * 0.15);
    gl_FragColor = vec4(color * alpha, alpha);
  }
`;

/** @default 48 — segments per arc (smooth at the focused zoom). */
const ARC_SEGMENTS = 48;
/** Tube radius in globe radii: thick enough to read, thin enough not to hide markers. */
const ARC_RADIUS = 0.0055;

interface ArcSpec {
  from: { latitude: number; longitude: number };
  to: { latitude: number; longitude: number };
  running: boolean;
}

/** A great-circle arc lifted off the surface in proportion to its length. */
function arcGeometry(arc: ArcSpec): BufferGeometry {
  const a = latLonToVector3(arc.from.latitude, arc.from.longitude, 1);
  const b = latLonToVector3(arc.to.latitude, arc.to.longitude, 1);
  const angle = a.angleTo(b);
  const lift = 0.04 + 0.28 * (angle / Math.PI);
  const points: Vector3[] = [];
  for (let i = 0; i <= ARC_SEGMENTS; i++) {
    const t = i / ARC_SEGMENTS;
    // Slerp between the two unit vectors, then raise by a sine so the arc leaves and lands flat.
    const point =
      angle < 1e-6
        ? a.clone()
        : a
            .clone()
            .multiplyScalar(Math.sin((1 - t) * angle) / Math.sin(angle))
            .add(b.clone().multiplyScalar(Math.sin(t * angle) / Math.sin(angle)));
    points.push(point.normalize().multiplyScalar(1.004 + lift * Math.sin(Math.PI * t)));
  }
  const geometry = new TubeGeometry(new CatmullRomCurve3(points), ARC_SEGMENTS, ARC_RADIUS, 5, false);
  const count = geometry.getAttribute("position").count;
  geometry.setAttribute("aRunning", new Float32BufferAttribute(new Float32Array(count).fill(arc.running ? 1 : 0), 1));
  return geometry;
}

/**
 * The arbitrage on the globe: an arc from each opportunity's source region to its target (violet,
 * the arbitrage accent), and from each running migration's source to its target (brighter,
 * faster). One mesh, one draw call; its geometry is rebuilt only when the set of arcs changes.
 */
export function MigrationArcs({ model }: { model: DashboardModel }) {
  const material = useMemo(
    () =>
      new ShaderMaterial({
        vertexShader: ARC_VERTEX,
        fragmentShader: ARC_FRAGMENT,
        uniforms: { uTime: { value: 0 }, uColor: { value: new Color(OPPORTUNITY_COLOR) } },
        transparent: true,
        depthWrite: false,
        blending: AdditiveBlending,
        premultipliedAlpha: true,
      }),
    [],
  );
  const mesh = useMemo(() => {
    const arcs = new Mesh(undefined, material);
    arcs.renderOrder = 3;
    arcs.frustumCulled = false;
    arcs.visible = false;
    return arcs;
  }, [material]);
  useEffect(
    () => () => {
      mesh.geometry.dispose();
      material.dispose();
    },
    [mesh, material],
  );

  const state = useMemo(() => ({ signature: "", versions: "" }), []);
  useFrame((frame) => {
    (material.uniforms.uTime as { value: number }).value = frame.clock.elapsedTime;
    const { opportunities, migrations } = model.stores;
    const versions = `${opportunities.version}/${migrations.version}/${model.regions.getVersion()}`;
    if (versions === state.versions) return;
    state.versions = versions;
    const arcs = currentArcs(model);
    const signature = JSON.stringify(arcs);
    if (signature === state.signature) return;
    state.signature = signature;
    mesh.geometry.dispose();
    if (arcs.length === 0) {
      mesh.visible = false;
      return;
    }
    const merged = mergeGeometries(arcs.map(arcGeometry));
    mesh.geometry = merged ?? mesh.geometry;
    mesh.visible = merged !== null;
  });
  return <primitive object={mesh} />;
}

/** The arcs to draw now: running migrations, and opportunities not already being migrated. */
function currentArcs(model: DashboardModel): ArcSpec[] {
  const regions = model.regions.get();
  const place = (key: string) => {
    const region = regions.get(key)?.region;
    return region ? { latitude: region.latitude, longitude: region.longitude } : undefined;
  };
  const arcs: ArcSpec[] = [];
  const moving = new Set<string>();
  for (const migration of model.stores.migrations.values()) {
    if (MIGRATION_END_STATES.includes(migration.state)) continue;
    moving.add(migration.workloadId);
    const from = place(migration.sourceRegionKey);
    const to = place(migration.targetRegionKey);
    if (from && to) arcs.push({ from, to, running: true });
  }
  for (const opportunity of model.stores.opportunities.values()) {
    if (moving.has(opportunity.workloadId)) continue;
    const from = place(opportunity.source.regionKey);
    const to = place(opportunity.target.regionKey);
    if (from && to) arcs.push({ from, to, running: false });
  }
  // Several workloads on one route share an arc.
  const unique = new Map(arcs.map((arc) => [JSON.stringify(arc), arc]));
  return [...unique.values()].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

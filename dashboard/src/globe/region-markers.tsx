import { useFrame } from "@react-three/fiber";
import { useEffect, useMemo } from "react";
import {
  AdditiveBlending,
  Color,
  CylinderGeometry,
  Group,
  InstancedBufferAttribute,
  InstancedMesh,
  Matrix4,
  PlaneGeometry,
  Quaternion,
  ShaderMaterial,
  Vector3,
} from "three";
import type { DashboardModel } from "../live/dashboard-model";
import type { RegionSummary } from "../live/region-summary";
import { latLonToVector3 } from "./geo";
import { TONE_COLORS } from "./palette";

const DISC_VERTEX = /* glsl */ `
  attribute vec3 aColor;
  attribute float aBeat;
  attribute float aStale;
  attribute float aEmphasis;
  varying vec2 vUv;
  varying vec3 vColor;
  varying float vBeat;
  varying float vStale;
  varying float vEmphasis;
  varying float vFacing;
  void main() {
    vUv = uv - 0.5;
    vColor = aColor;
    vBeat = aBeat;
    vStale = aStale;
    vEmphasis = aEmphasis;
    vec4 mvPosition = modelViewMatrix * instanceMatrix * vec4(position, 1.0);
    vec3 normal = normalize(normalMatrix * mat3(instanceMatrix) * vec3(0.0, 0.0, 1.0));
    vFacing = dot(normal, normalize(-mvPosition.xyz));
    gl_Position = projectionMatrix * mvPosition;
  }
`;

const DISC_FRAGMENT = /* glsl */ `
  uniform float uTime;
  varying vec2 vUv;
  varying vec3 vColor;
  varying float vBeat;
  varying float vStale;
  varying float vEmphasis;
  varying float vFacing;
  void main() {
    float r = length(vUv) * 2.0;
    float core = smoothstep(0.16, 0.11, r);
    float halo = exp(-r * 6.0) * 0.6;
    float alpha;
    if (vStale > 0.5) {
      // No heartbeat: no pulse, a slow alarm blink and a fixed warning ring.
      float blink = 0.6 + 0.4 * sin(uTime * 4.0);
      alpha = (core + halo * 0.7) * blink + smoothstep(0.045, 0.0, abs(r - 0.46)) * 0.7 * blink;
    } else {
      // One ring per heartbeat received: it expands and fades.
      float progress = clamp((uTime - vBeat) / 1.7, 0.0, 1.0);
      float radius = mix(0.17, 0.98, 1.0 - pow(1.0 - progress, 2.4));
      float ring = smoothstep(0.07, 0.0, abs(r - radius)) * pow(1.0 - progress, 1.4);
      alpha = core + halo + ring * 0.9;
    }
    alpha += vEmphasis * smoothstep(0.035, 0.0, abs(r - 0.64)) * 0.95;
    vec3 color = mix(vColor, vec3(1.0), core * 0.6);
    float limb = smoothstep(-0.02, 0.3, vFacing);
    gl_FragColor = vec4(color, clamp(alpha, 0.0, 1.0) * limb);
  }
`;

const BEAM_VERTEX = /* glsl */ `
  attribute vec3 aColor;
  varying vec3 vColor;
  varying float vHeight;
  void main() {
    vColor = aColor;
    vHeight = uv.y;
    gl_Position = projectionMatrix * modelViewMatrix * instanceMatrix * vec4(position, 1.0);
  }
`;

const BEAM_FRAGMENT = /* glsl */ `
  varying vec3 vColor;
  varying float vHeight;
  void main() {
    gl_FragColor = vec4(vColor * pow(1.0 - vHeight, 1.8) * 0.85, 0.0);
  }
`;

const DISC_SIZE = 0.2;
/** Up to this many regions, markers have their full size; beyond, they shrink with √(n). */
const UNCROWDED_REGIONS = 40;
const MIN_DENSITY_SCALE = 0.35;
const BEAM_HEIGHT_LIVE = 0.1;
const BEAM_HEIGHT_STALE = 0.035;
const UP = new Vector3(0, 1, 0);
const OUT = new Vector3(0, 0, 1);

/**
 * Every region as an instanced marker (one draw call for the discs, one for the beams, however
 * many regions): colour = tone (liveness, health, price trend), a ring per heartbeat, a blink when
 * stale. Reads the live stores directly each frame; React never re-renders it for a delta.
 */
class MarkerField {
  readonly group = new Group();
  private readonly discs: InstancedMesh;
  private readonly beams: InstancedMesh;
  private readonly discMaterial: ShaderMaterial;
  private readonly beamMaterial: ShaderMaterial;
  private readonly colors: InstancedBufferAttribute;
  private readonly beamColors: InstancedBufferAttribute;
  private readonly beats: InstancedBufferAttribute;
  private readonly stale: InstancedBufferAttribute;
  private readonly emphasis: InstancedBufferAttribute;
  private readonly indexByRegion = new Map<string, number>();
  private readonly lastSeenBySatellite = new Map<string, number>();
  private regionsVersion = -1;
  private satellitesVersion = -1;
  private focus: string | undefined;
  private hover: string | undefined;

  constructor(readonly capacity: number) {
    const disc = new PlaneGeometry(1, 1);
    this.colors = new InstancedBufferAttribute(new Float32Array(capacity * 3), 3);
    this.beats = new InstancedBufferAttribute(new Float32Array(capacity).fill(-100), 1);
    this.stale = new InstancedBufferAttribute(new Float32Array(capacity), 1);
    this.emphasis = new InstancedBufferAttribute(new Float32Array(capacity), 1);
    disc.setAttribute("aColor", this.colors);
    disc.setAttribute("aBeat", this.beats);
    disc.setAttribute("aStale", this.stale);
    disc.setAttribute("aEmphasis", this.emphasis);
    this.discMaterial = new ShaderMaterial({
      uniforms: { uTime: { value: 0 } },
      vertexShader: DISC_VERTEX,
      fragmentShader: DISC_FRAGMENT,
      transparent: true,
      depthWrite: false,
    });
    this.discs = new InstancedMesh(disc, this.discMaterial, capacity);
    this.discs.frustumCulled = false;
    this.discs.renderOrder = 4;

    const beam = new CylinderGeometry(0.0016, 0.0045, 1, 8, 1, true).translate(0, 0.5, 0);
    this.beamColors = new InstancedBufferAttribute(new Float32Array(capacity * 3), 3);
    beam.setAttribute("aColor", this.beamColors);
    this.beamMaterial = new ShaderMaterial({
      vertexShader: BEAM_VERTEX,
      fragmentShader: BEAM_FRAGMENT,
      transparent: true,
      depthWrite: false,
      blending: AdditiveBlending,
      premultipliedAlpha: true,
    });
    this.beams = new InstancedMesh(beam, this.beamMaterial, capacity);
    this.beams.frustumCulled = false;
    this.beams.renderOrder = 2;
    this.discs.count = 0;
    this.beams.count = 0;
    this.group.add(this.beams, this.discs);
  }

  /** True when the regions no longer fit (the component then builds a bigger field). */
  update(model: DashboardModel, timeSeconds: number): boolean {
    (this.discMaterial.uniforms.uTime as { value: number }).value = timeSeconds;
    const focus = model.focus.get();
    const hover = model.hover.get();
    if (model.regions.getVersion() !== this.regionsVersion || focus !== this.focus || hover !== this.hover) {
      const regions = model.regions.get();
      if (regions.size > this.capacity) return true;
      this.regionsVersion = model.regions.getVersion();
      this.focus = focus;
      this.hover = hover;
      this.layout([...regions.values()].sort((a, b) => a.key.localeCompare(b.key)));
    }
    const satellites = model.stores.satellites;
    if (satellites.version !== this.satellitesVersion) {
      this.satellitesVersion = satellites.version;
      let beat = false;
      for (const satellite of satellites.values()) {
        const previous = this.lastSeenBySatellite.get(satellite.id) ?? 0;
        if (satellite.lastSeenAtMs <= previous) continue;
        this.lastSeenBySatellite.set(satellite.id, satellite.lastSeenAtMs);
        const index = this.indexByRegion.get(satellite.region.key);
        if (index === undefined || satellite.liveness !== "live") continue;
        this.beats.setX(index, timeSeconds);
        beat = true;
      }
      if (beat) this.beats.needsUpdate = true;
    }
    return false;
  }

  dispose(): void {
    this.discs.geometry.dispose();
    this.beams.geometry.dispose();
    this.discMaterial.dispose();
    this.beamMaterial.dispose();
    this.discs.dispose();
    this.beams.dispose();
  }

  private layout(regions: RegionSummary[]): void {
    // Many regions: smaller markers, so they stay apart and the fill cost stays flat.
    const density = Math.min(
      1,
      Math.max(MIN_DENSITY_SCALE, Math.sqrt(UNCROWDED_REGIONS / Math.max(1, regions.length))),
    );
    const position = new Vector3();
    const normal = new Vector3();
    const rotation = new Quaternion();
    const beamRotation = new Quaternion();
    const scale = new Vector3();
    const matrix = new Matrix4();
    const color = new Color();
    const previous = new Map(this.indexByRegion);
    const previousBeats = Float32Array.from(this.beats.array as Float32Array);
    this.indexByRegion.clear();
    regions.forEach((region, index) => {
      this.indexByRegion.set(region.key, index);
      const oldIndex = previous.get(region.key);
      this.beats.setX(index, oldIndex === undefined ? -100 : (previousBeats[oldIndex] ?? -100));
      latLonToVector3(region.region.latitude, region.region.longitude, 1, normal);
      const emphasized = region.key === this.focus || region.key === this.hover;
      rotation.setFromUnitVectors(OUT, normal);
      position.copy(normal).multiplyScalar(1.004);
      const size = DISC_SIZE * density * (emphasized ? 1.3 : 1);
      this.discs.setMatrixAt(index, matrix.compose(position, rotation, scale.set(size, size, size)));
      beamRotation.setFromUnitVectors(UP, normal);
      const height = (region.live ? BEAM_HEIGHT_LIVE * (emphasized ? 1.5 : 1) : BEAM_HEIGHT_STALE) * density;
      this.beams.setMatrixAt(index, matrix.compose(position.copy(normal), beamRotation, scale.set(1, height, 1)));
      color.set(TONE_COLORS[region.tone]);
      this.colors.setXYZ(index, color.r, color.g, color.b);
      this.beamColors.setXYZ(index, color.r, color.g, color.b);
      this.stale.setX(index, region.live ? 0 : 1);
      this.emphasis.setX(index, region.key === this.focus ? 1 : 0);
    });
    this.discs.count = regions.length;
    // A crowded globe gets no beams: a thousand of them read as hair, and each costs fill.
    this.beams.count = regions.length > UNCROWDED_REGIONS ? 0 : regions.length;
    this.discs.instanceMatrix.needsUpdate = true;
    this.beams.instanceMatrix.needsUpdate = true;
    for (const attribute of [this.colors, this.beamColors, this.beats, this.stale, this.emphasis]) {
      attribute.needsUpdate = true;
    }
  }
}

const INITIAL_CAPACITY = 64;

export function RegionMarkers({ model }: { model: DashboardModel }) {
  const field = useMemo(() => ({ current: new MarkerField(INITIAL_CAPACITY) }), []);
  const group = useMemo(() => new Group(), []);
  useEffect(() => {
    group.add(field.current.group);
    return () => {
      group.clear();
      field.current.dispose();
    };
  }, [field, group]);
  useFrame((state) => {
    if (field.current.update(model, state.clock.elapsedTime)) {
      // More regions than instances: grow (rare; doubles each time).
      const bigger = new MarkerField(Math.max(field.current.capacity * 2, model.regions.get().size));
      group.remove(field.current.group);
      field.current.dispose();
      field.current = bigger;
      group.add(bigger.group);
      bigger.update(model, state.clock.elapsedTime);
    }
  });
  return <primitive object={group} />;
}

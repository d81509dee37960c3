import { Canvas, useFrame, useThree } from "@react-three/fiber";
import { useEffect, useMemo, useState } from "react";
import type { Topology } from "topojson-specification";
import landUrl from "world-atlas/land-110m.json?url";
import type { DashboardModel } from "../live/dashboard-model";
import { CameraRig } from "./camera-rig";
import { buildLandPoints, type LandPoints } from "./land-points";
import { LabelProjector, LabelRegistry, MarkerLabels } from "./marker-labels";
import { MigrationArcs } from "./migration-arcs";
import { Atmosphere, LandDots, Ocean } from "./points-earth";
import { RegionMarkers } from "./region-markers";
import { detectRenderQuality } from "./render-quality";

/** Points of the Fibonacci lattice; about 29 % fall on land (≈ 13,000 dots). */
const LATTICE_POINTS = 44_000;

/** Loads Natural Earth's land (world-atlas) and turns it into dots once per page. */
function useLandPoints(): LandPoints | undefined {
  const [land, setLand] = useState<LandPoints>();
  useEffect(() => {
    let cancelled = false;
    fetch(landUrl)
      .then((response) => response.json() as Promise<Topology>)
      .then((topology) => {
        if (!cancelled) setLand(buildLandPoints(topology, LATTICE_POINTS));
      })
      .catch((error: unknown) => console.error("could not load the land outlines", error));
    return () => {
      cancelled = true;
    };
  }, []);
  return land;
}

/**
 * The WebGL globe (react-three-fiber): points-Earth, atmosphere, instanced region markers, the
 * arcs of opportunities and migrations, camera rig; and over it the DOM layer of markers. `model`
 * is absent behind the sign-in form, where the globe turns on its own without markers.
 */
export function GlobeView({ model }: { model: DashboardModel | undefined }) {
  const land = useLandPoints();
  const registry = useMemo(() => new LabelRegistry(), []);
  // Start over the viewer's side of the world (their time zone's longitude).
  const initialLongitude = useMemo(() => -new Date().getTimezoneOffset() / 4, []);
  const quality = useMemo(detectRenderQuality, []);
  return (
    <div
      className="globe"
      data-testid="globe"
      data-land-points={land?.count ?? 0}
      data-renderer={quality.software ? "software" : "gpu"}
    >
      <Canvas
        className="globe-canvas"
        dpr={quality.dpr}
        frameloop={quality.maxFps ? "demand" : "always"}
        camera={{ fov: 36, near: 0.05, far: 50, position: [0, 0, 4.2] }}
        // preserveDrawingBuffer: the picture can be read back (tests count its pixels).
        gl={{
          antialias: quality.antialias,
          alpha: true,
          preserveDrawingBuffer: true,
          powerPreference: "high-performance",
        }}
        data-testid="globe-canvas"
      >
        {quality.maxFps && <FrameCap fps={quality.maxFps} />}
        <Ocean />
        <LandDots land={land} />
        <Atmosphere />
        {model && <RegionMarkers model={model} />}
        {model && <MigrationArcs model={model} />}
        {model && <LabelProjector registry={registry} model={model} />}
        {model ? (
          <CameraRig model={model} initialLongitude={initialLongitude} />
        ) : (
          <IdleSpin longitude={initialLongitude} />
        )}
      </Canvas>
      {model && <MarkerLabels registry={registry} />}
    </div>
  );
}

/** Asks for a frame `fps` times a second (with `frameloop="demand"`). */
function FrameCap({ fps }: { fps: number }) {
  const invalidate = useThree((state) => state.invalidate);
  useEffect(() => {
    let frame = 0;
    const timer = setInterval(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => invalidate());
    }, 1000 / fps);
    return () => {
      clearInterval(timer);
      cancelAnimationFrame(frame);
    };
  }, [fps, invalidate]);
  return null;
}

/** Behind the sign-in form: the globe turns slowly under a fixed camera, nothing to click. */
function IdleSpin({ longitude }: { longitude: number }) {
  useFrame((state) => {
    const angle = (longitude * Math.PI) / 180 + state.clock.elapsedTime * 0.06;
    const distance = 2.9;
    const tilt = 0.32;
    state.camera.position.set(
      distance * Math.cos(tilt) * Math.sin(angle),
      distance * Math.sin(tilt),
      distance * Math.cos(tilt) * Math.cos(angle),
    );
    state.camera.lookAt(0, 0, 0);
  });
  return null;
}

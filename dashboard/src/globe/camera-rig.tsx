import { CameraControls, CameraControlsImpl } from "@react-three/drei";
import { useFrame, useThree } from "@react-three/fiber";
import { useEffect, useRef } from "react";
import type { PerspectiveCamera } from "three";
import type { DashboardModel } from "../live/dashboard-model";
import { orbitAnglesOf } from "./geo";

/** Camera distance (globe radii from the centre) of the overview and of a focused region. */
const OVERVIEW_DISTANCE = 4.1;
const FOCUS_DISTANCE = 3.0;
/** Seconds a transition takes to (nearly) settle: camera-controls moves along a critically damped spring. */
const FLIGHT_SMOOTH_TIME = 0.75;
/** Idle auto-rotation, radians per second, resumed this long after the last interaction. */
const AUTO_ROTATE_SPEED = 0.045;
const AUTO_ROTATE_IDLE_MS = 4_000;
/** Pixels on the right that the region panel (focused) or the operations panel (overview) covers. */
export const PANEL_WIDTH_PX = 420;
/** Pixels on the left that the ranking and legend cover. */
const LEFT_COLUMN_WIDTH_PX = 300;

const TAU = Math.PI * 2;

/**
 * Orbit controls around the globe (drag to rotate with inertia, scroll to zoom) and the flights to
 * a focused region: the camera springs to above the region (shortest way round), closer in, and
 * the view slides left so the region stays clear of the panel.
 */
export function CameraRig({ model, initialLongitude }: { model: DashboardModel; initialLongitude: number }) {
  const controls = useRef<CameraControlsImpl>(null);
  const camera = useThree((state) => state.camera) as PerspectiveCamera;
  const size = useThree((state) => state.size);
  const lastInteractionAtMs = useRef(0);

  useEffect(() => {
    const current = controls.current;
    if (!current) return;
    const { azimuth, polar } = orbitAnglesOf(22, initialLongitude);
    void current.setPosition(0, 0, OVERVIEW_DISTANCE, false);
    void current.rotateTo(azimuth, polar, false);
    const onStart = (): void => {
      lastInteractionAtMs.current = performance.now();
    };
    current.addEventListener("controlstart", onStart);
    current.addEventListener("control", onStart);
    return () => {
      current.removeEventListener("controlstart", onStart);
      current.removeEventListener("control", onStart);
    };
  }, [initialLongitude]);

  useEffect(() => {
    /** World units that move what lies `depth` in front of the camera `pixels` across the screen (0 on narrow screens). */
    const focalShift = (pixels: number, depth: number): number =>
      size.width > 900 ? (pixels * 2 * depth * Math.tan((camera.fov * Math.PI) / 360)) / size.height : 0;
    const fly = (): void => {
      const current = controls.current;
      if (!current) return;
      const key = model.focus.get();
      const summary = key ? model.regions.get().get(key) : undefined;
      current.smoothTime = FLIGHT_SMOOTH_TIME;
      if (!summary) {
        void current.dollyTo(OVERVIEW_DISTANCE, true);
        // Centre the globe between the left column and the operations panel.
        void current.setFocalOffset(
          focalShift((PANEL_WIDTH_PX - LEFT_COLUMN_WIDTH_PX) / 2, OVERVIEW_DISTANCE),
          0,
          0,
          true,
        );
        return;
      }
      const { azimuth, polar } = orbitAnglesOf(summary.region.latitude, summary.region.longitude);
      // Go the short way round: bring the target azimuth within ±π of where the camera is.
      const from = current.azimuthAngle;
      const shortest = from + ((((azimuth - from) % TAU) + TAU + Math.PI) % TAU) - Math.PI;
      void current.rotateTo(shortest, Math.min(Math.max(polar, 0.25), Math.PI - 0.25), true);
      void current.dollyTo(FOCUS_DISTANCE, true);
      // Slide the globe left by half the panel so the region stays clear of it.
      void current.setFocalOffset(focalShift(PANEL_WIDTH_PX / 2, FOCUS_DISTANCE - 1), 0, 0, true);
    };
    fly();
    return model.focus.subscribe(fly);
  }, [model, camera, size]);

  useFrame((_, delta) => {
    const current = controls.current;
    if (!current || model.focus.get() !== undefined) return;
    if (performance.now() - lastInteractionAtMs.current < AUTO_ROTATE_IDLE_MS) return;
    void current.rotate(AUTO_ROTATE_SPEED * Math.min(delta, 0.1), 0, false);
  });

  return (
    <CameraControls
      ref={controls}
      makeDefault
      minDistance={1.45}
      maxDistance={6}
      smoothTime={FLIGHT_SMOOTH_TIME}
      draggingSmoothTime={0.12}
      azimuthRotateSpeed={0.55}
      polarRotateSpeed={0.55}
      dollySpeed={0.6}
      minPolarAngle={0.2}
      maxPolarAngle={Math.PI - 0.2}
      mouseButtons={{
        left: CameraControlsImpl.ACTION.ROTATE,
        middle: CameraControlsImpl.ACTION.DOLLY,
        right: CameraControlsImpl.ACTION.NONE,
        wheel: CameraControlsImpl.ACTION.DOLLY,
      }}
      touches={{
        one: CameraControlsImpl.ACTION.TOUCH_ROTATE,
        two: CameraControlsImpl.ACTION.TOUCH_DOLLY,
        three: CameraControlsImpl.ACTION.NONE,
      }}
    />
  );
}

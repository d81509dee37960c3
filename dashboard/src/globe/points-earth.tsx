import { useFrame, useThree } from "@react-three/fiber";
import { useEffect, useMemo } from "react";
import { AdditiveBlending, BackSide, BufferAttribute, BufferGeometry, Color, ShaderMaterial } from "three";
import type { LandPoints } from "./land-points";
import { GLOBE_COLORS } from "./palette";

const LAND_VERTEX = /* glsl */ `
  attribute float aLatitude;
  attribute float aSeed;
  uniform float uSize;
  uniform float uPixelRatio;
  uniform float uReveal;
  uniform float uTime;
  varying float vFacing;
  varying float vLight;
  varying float vReveal;
  varying float vTwinkle;
  void main() {
    vec4 mvPosition = modelViewMatrix * vec4(position, 1.0);
    vec3 normal = normalize(normalMatrix * position);
    vFacing = dot(normal, normalize(-mvPosition.xyz));
    // A soft key light from the upper left, in view space.
    vLight = clamp(dot(normal, normalize(vec3(-0.55, 0.6, 0.75))) * 0.6 + 0.4, 0.0, 1.0);
    // The reveal sweeps from the north pole to the south as the land data arrives.
    vReveal = smoothstep(aLatitude / 90.0 + 1.0, aLatitude / 90.0 + 1.2, uReveal * 2.2);
    vTwinkle = 0.85 + 0.15 * sin(uTime * 0.8 + aSeed * 6.2831);
    gl_PointSize = uSize * uPixelRatio * (0.6 + 0.4 * vReveal) / -mvPosition.z;
    gl_Position = projectionMatrix * mvPosition;
  }
`;

const LAND_FRAGMENT = /* glsl */ `
  uniform vec3 uDim;
  uniform vec3 uBright;
  varying float vFacing;
  varying float vLight;
  varying float vReveal;
  varying float vTwinkle;
  void main() {
    vec2 centered = gl_PointCoord - 0.5;
    float distance = length(centered);
    if (distance > 0.5) discard;
    float disc = smoothstep(0.5, 0.32, distance);
    float limb = smoothstep(0.0, 0.45, vFacing);
    vec3 color = mix(uDim, uBright, vLight * vTwinkle);
    gl_FragColor = vec4(color, disc * limb * vReveal * 0.95);
  }
`;

/** Vertex shader of the shaded spheres (ocean, atmosphere): view-space normal and view direction. */
const SPHERE_VERTEX = /* glsl */ `
  varying vec3 vNormal;
  varying vec3 vView;
  void main() {
    vec4 mvPosition = modelViewMatrix * vec4(position, 1.0);
    vNormal = normalize(normalMatrix * normal);
    vView = normalize(-mvPosition.xyz);
    gl_Position = projectionMatrix * mvPosition;
  }
`;

const OCEAN_FRAGMENT = /* glsl */ `
  uniform vec3 uOcean;
  uniform vec3 uRim;
  varying vec3 vNormal;
  varying vec3 vView;
  void main() {
    float fresnel = pow(1.0 - max(dot(vNormal, vView), 0.0), 2.6);
    float light = clamp(dot(vNormal, normalize(vec3(-0.55, 0.6, 0.75))), 0.0, 1.0);
    vec3 color = uOcean * (0.75 + 0.5 * light) + uRim * fresnel * 0.9;
    gl_FragColor = vec4(color, 1.0);
  }
`;

const ATMOSPHERE_FRAGMENT = /* glsl */ `
  uniform vec3 uColor;
  uniform float uStrength;
  uniform float uLimb;
  varying vec3 vNormal;
  varying vec3 vView;
  void main() {
    // Back faces of a larger shell: 0 at its silhouette, 1 where it meets the planet's limb
    // (fresnel-like), so the glow hugs the planet and fades out with no edge.
    float t = clamp(-dot(normalize(vNormal), normalize(vView)) / uLimb, 0.0, 1.0);
    float intensity = pow(t, 2.6) * uStrength;
    // Light, not paint: premultiplied colour with zero alpha adds to whatever is behind the canvas.
    gl_FragColor = vec4(uColor * intensity, 0.0);
  }
`;

/** Radius of the atmosphere's shell, in globe radii. */
const ATMOSPHERE_SCALE = 1.16;

/** The ocean's material: dark, lit by the key light, with a fresnel rim. */
function createOceanMaterial(): ShaderMaterial {
  return new ShaderMaterial({
    uniforms: {
      uOcean: { value: new Color(GLOBE_COLORS.ocean) },
      uRim: { value: new Color(GLOBE_COLORS.oceanRim) },
    },
    vertexShader: SPHERE_VERTEX,
    fragmentShader: OCEAN_FRAGMENT,
  });
}

/** The atmosphere's material: a fresnel glow on the back faces, additively blended. */
function createAtmosphereMaterial(): ShaderMaterial {
  return new ShaderMaterial({
    uniforms: {
      uColor: { value: new Color(GLOBE_COLORS.atmosphere) },
      uStrength: { value: 1.1 },
      uLimb: { value: Math.sqrt(1 - 1 / ATMOSPHERE_SCALE ** 2) },
    },
    vertexShader: SPHERE_VERTEX,
    fragmentShader: ATMOSPHERE_FRAGMENT,
    side: BackSide,
    blending: AdditiveBlending,
    premultipliedAlpha: true,
    transparent: true,
    depthWrite: false,
  });
}

/** A sphere drawn with one shader material, made once per mount and disposed on unmount. */
function ShaderSphere(props: { createMaterial: () => ShaderMaterial; radius: number; renderOrder: number }) {
  const { createMaterial, radius, renderOrder } = props;
  const material = useMemo(createMaterial, [createMaterial]);
  useEffect(() => () => material.dispose(), [material]);
  return (
    <mesh material={material} renderOrder={renderOrder}>
      <sphereGeometry args={[radius, 96, 64]} />
    </mesh>
  );
}

/** The dark ocean sphere with a fresnel rim; it also hides the far side's land dots (depth). */
export function Ocean() {
  return <ShaderSphere createMaterial={createOceanMaterial} radius={0.995} renderOrder={0} />;
}

/** The glow around the planet: a custom fresnel shader on the back faces, additively blended. */
export function Atmosphere() {
  return <ShaderSphere createMaterial={createAtmosphereMaterial} radius={ATMOSPHERE_SCALE} renderOrder={3} />;
}

/** Land as points: one draw call for ~17,000 dots, shaded by a key light and faded at the limb. */
export function LandDots({ land }: { land: LandPoints | undefined }) {
  const pixelRatio = useThree((state) => state.viewport.dpr);
  const geometry = useMemo(() => {
    const result = new BufferGeometry();
    if (!land) return result;
    result.setAttribute("position", new BufferAttribute(land.positions, 3));
    result.setAttribute("aLatitude", new BufferAttribute(land.latitudes, 1));
    const seeds = new Float32Array(land.count);
    for (let i = 0; i < land.count; i++) seeds[i] = (Math.sin(i * 12.9898) * 43758.5453) % 1;
    result.setAttribute("aSeed", new BufferAttribute(seeds, 1));
    return result;
  }, [land]);
  const uniforms = useMemo(
    () => ({
      uSize: { value: 12.5 },
      uPixelRatio: { value: 1 },
      uReveal: { value: 0 },
      uTime: { value: 0 },
      uDim: { value: new Color(GLOBE_COLORS.landDim) },
      uBright: { value: new Color(GLOBE_COLORS.landBright) },
    }),
    [],
  );
  const material = useMemo(
    () =>
      new ShaderMaterial({
        uniforms,
        vertexShader: LAND_VERTEX,
        fragmentShader: LAND_FRAGMENT,
        transparent: true,
        depthWrite: false,
      }),
    [uniforms],
  );
  useEffect(() => () => geometry.dispose(), [geometry]);
  useEffect(() => () => material.dispose(), [material]);
  useFrame((_, delta) => {
    uniforms.uPixelRatio.value = pixelRatio;
    uniforms.uTime.value += delta;
    if (land && uniforms.uReveal.value < 1) uniforms.uReveal.value = Math.min(1, uniforms.uReveal.value + delta / 1.6);
  });
  return <points geometry={geometry} material={material} renderOrder={1} />;
}

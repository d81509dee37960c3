/**
 * How much the globe may cost. A software WebGL renderer (SwiftShader in headless Chromium, VMs
 * without a GPU) gets no multisampling, a pixel ratio of 1 and at most 30 frames a second: the same
 * picture at a fraction of the cost. Decided once, before the canvas is created.
 */
export interface RenderQuality {
  software: boolean;
  antialias: boolean;
  /** Device-pixel-ratio range for the canvas. */
  dpr: [number, number];
  /** Frames per second to draw at most; undefined: every display frame. */
  maxFps: number | undefined;
}

export function detectRenderQuality(): RenderQuality {
  const software = isSoftwareRenderer();
  // On the CPU every frame costs a full software rasterisation: 30 fps keeps the motion smooth and
  // leaves the processor to the rest of the page.
  return software
    ? { software, antialias: false, dpr: [1, 1], maxFps: 30 }
    : { software, antialias: true, dpr: [1, 2], maxFps: undefined };
}

function isSoftwareRenderer(): boolean {
  try {
    const gl = document.createElement("canvas").getContext("webgl2");
    if (!gl) return true;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return /swiftshader|llvmpipe|software|basic render/i.test(renderer);
  } catch {
    return true;
  }
}

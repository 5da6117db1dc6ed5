// Zoom and pan of a slice view as numbers: where the image lies on its canvas, which image pixel is under a canvas
// point, and zooming about the point under the cursor (that point stays put). Pure, so it is tested outside the
// browser. Canvas coordinates are the canvas's own pixels; image pixel centres are at integers, as in prompt JSON.

export interface ViewState {
  /** 1 = the whole image fits the canvas. */
  readonly zoom: number;
  /** Offset of the image from its centred position, canvas pixels. */
  readonly panX: number;
  readonly panY: number;
}

export const FIT: ViewState = { zoom: 1, panX: 0, panY: 0 };
export const MIN_ZOOM = 0.5;
export const MAX_ZOOM = 32;

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** Image pixel (u, v)'s top-left corner is at canvas (x + u·scale, y + v·scale). */
export interface Placement {
  readonly scale: number;
  readonly x: number;
  readonly y: number;
}

export function placement(v: ViewState, image: Size, canvas: Size): Placement {
  const fit = Math.min(canvas.width / image.width, canvas.height / image.height);
  const scale = fit * v.zoom;
  return { scale, x: (canvas.width - image.width * scale) / 2 + v.panX, y: (canvas.height - image.height * scale) / 2 + v.panY };
}

/** The image pixel coordinates under a canvas point (pixel centres at integers; may lie outside the image). */
export const canvasToPixel = (p: Placement, cx: number, cy: number): [number, number] => [(cx - p.x) / p.scale - 0.5, (cy - p.y) / p.scale - 0.5];

/** The canvas point of an image pixel centre. */
export const pixelToCanvas = (p: Placement, x: number, y: number): [number, number] => [p.x + (x + 0.5) * p.scale, p.y + (y + 0.5) * p.scale];

/** Zoom by `factor` keeping the image point under canvas (cx, cy) where it is. */
export function zoomAt(v: ViewState, factor: number, cx: number, cy: number, image: Size, canvas: Size): ViewState {
  const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.zoom * factor));
  const p = placement(v, image, canvas);
  const u = (cx - p.x) / p.scale;
  const w = (cy - p.y) / p.scale;
  const scale = (p.scale / v.zoom) * zoom;
  return { zoom, panX: cx - u * scale - (canvas.width - image.width * scale) / 2, panY: cy - w * scale - (canvas.height - image.height * scale) / 2 };
}

export const panBy = (v: ViewState, dx: number, dy: number): ViewState => ({ ...v, panX: v.panX + dx, panY: v.panY + dy });

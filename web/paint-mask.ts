// Painting a SegLab mask with a round brush: discs stamped along a stroke, close enough that the stroke has no
// gaps. Coordinates are template pixel coordinates (pixel centres at integers, as in prompt JSON).
import type { Mask } from '../src/app/data/image.js';

/** Set (or, erasing, clear) every pixel whose centre lies within `radius` of (cx, cy). */
export function stampDisc(mask: Mask, cx: number, cy: number, radius: number, value: 0 | 1): void {
  const r = Math.max(0.5, radius);
  const x0 = Math.max(0, Math.ceil(cx - r));
  const x1 = Math.min(mask.width - 1, Math.floor(cx + r));
  const y0 = Math.max(0, Math.ceil(cy - r));
  const y1 = Math.min(mask.height - 1, Math.floor(cy + r));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) mask.data[y * mask.width + x] = value;
    }
  }
}

/** Stamp discs along a polyline every half radius (at most one pixel apart). */
export function paintStroke(mask: Mask, points: readonly (readonly [number, number])[], radius: number, value: 0 | 1): void {
  if (points.length === 0) return;
  const step = Math.max(0.25, Math.min(1, radius / 2));
  stampDisc(mask, points[0][0], points[0][1], radius, value);
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1];
    const [bx, by] = points[i];
    const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / step));
    for (let k = 1; k <= n; k++) stampDisc(mask, ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n, radius, value);
  }
}

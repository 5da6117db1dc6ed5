// Small analytic masks for tests.
import type { Mask } from '../../src/app/data/image.js';

export const maskOf = (width: number, height: number, inside: (x: number, y: number) => boolean): Mask => {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = inside(x, y) ? 1 : 0;
  return { width, height, data };
};

export const disk = (w: number, h: number, cx: number, cy: number, r: number): Mask => maskOf(w, h, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r);
export const ring = (w: number, h: number, cx: number, cy: number, r0: number, r1: number): Mask =>
  maskOf(w, h, (x, y) => {
    const d = Math.hypot(x - cx, y - cy);
    return d >= r0 && d <= r1;
  });
export const rotatedEllipse = (w: number, h: number, cx: number, cy: number, a: number, b: number, angle: number): Mask =>
  maskOf(w, h, (x, y) => {
    const u = (x - cx) * Math.cos(angle) + (y - cy) * Math.sin(angle);
    const v = -(x - cx) * Math.sin(angle) + (y - cy) * Math.cos(angle);
    return (u / a) ** 2 + (v / b) ** 2 <= 1;
  });
export const lShape = (w: number, h: number): Mask => maskOf(w, h, (x, y) => (x >= 5 && x < 12 && y >= 5 && y < 40) || (x >= 5 && x < 40 && y >= 33 && y < 40));

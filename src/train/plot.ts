// The loss curve as a PNG, drawn here pixel by pixel (pngjs only encodes): loss on the left axis
// (raw in light blue, a moving average in dark blue), Dice on the right axis [0, 1] (orange).
import { PNG } from 'pngjs';

export interface CurvePoint {
  readonly step: number;
  readonly loss: number;
  readonly dice?: number;
}

type RGB = readonly [number, number, number];
const WHITE: RGB = [255, 255, 255];
const AXIS: RGB = [60, 60, 60];
const GRID: RGB = [228, 228, 228];
const RAW: RGB = [160, 190, 235];
const LOSS: RGB = [25, 70, 170];
const DICE: RGB = [230, 120, 20];

// A 3×5 pixel font for the few characters labels use.
const FONT: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001010010010',
  '8': '111101111101111',
  '9': '111101111001111',
  '.': '000000000000010',
  '-': '000000111000000',
  ':': '000010000010000',
  ' ': '000000000000000',
  '/': '001001010100100',
  '+': '000010111010000',
  '=': '000111000111000',
  a: '000011101101011',
  b: '100110101101110',
  f: '011100110100100',
  g: '000011101011110',
  h: '100110101101101',
  m: '000111111101101',
  u: '000101101101011',
  v: '000101101101010',
  w: '000101101111111',
  x: '000101010101101',
  y: '000101101011110',
  z: '000111011100111',
  _: '000000000000111',
  '(': '010100100100010',
  ')': '010001001001010',
  c: '000111100100111',
  d: '001011101101011',
  e: '000111111100111',
  i: '010000010010010',
  k: '100101110101101',
  l: '110010010010111',
  n: '000110101101101',
  o: '000111101101111',
  p: '000111101111100',
  r: '000111100100100',
  s: '000011110001110',
  t: '010111010010011',
};

/** The width in pixels of a label in the 3×5 font at the given scale (one column of space between letters). */
const textWidth = (s: string, scale: number): number => s.length * 4 * scale - scale;

class Canvas {
  readonly png: PNG;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.png = new PNG({ width, height });
    for (let i = 0; i < width * height; i++) this.png.data.set([...WHITE, 255], i * 4);
  }
  set(x: number, y: number, c: RGB): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.png.data[i] = c[0];
    this.png.data[i + 1] = c[1];
    this.png.data[i + 2] = c[2];
  }
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, thick = 1): void {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let k = 0; k <= n; k++) {
      const x = x0 + ((x1 - x0) * k) / n;
      const y = y0 + ((y1 - y0) * k) / n;
      for (let t = 0; t < thick; t++) {
        this.set(x, y + t, c);
        this.set(x + t, y, c);
      }
    }
  }
  text(x: number, y: number, s: string, c: RGB, scale = 2, align: 'left' | 'right' | 'center' = 'left'): void {
    const w = textWidth(s, scale);
    let cx = align === 'right' ? x - w : align === 'center' ? x - w / 2 : x;
    for (const ch of s) {
      const g = FONT[ch] ?? FONT[' '];
      for (let r = 0; r < 5; r++)
        for (let q = 0; q < 3; q++)
          if (g[r * 3 + q] === '1') for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) this.set(cx + q * scale + dx, y + r * scale + dy, c);
      cx += 4 * scale;
    }
  }
}

/**
 * Words packed greedily into lines no wider than `width` at the given scale; undefined when one word alone is wider.
 * A run's name joins its options with '+', so a line may also break after one.
 */
function wrap(s: string, width: number, scale: number): string[] | undefined {
  const lines: string[] = [];
  for (const word of s.match(/[^\s+]+\+?|\+/g) ?? []) {
    if (textWidth(word, scale) > width) return undefined;
    const last = lines.at(-1);
    const joined = last === undefined ? word : last.endsWith('+') ? last + word : `${last} ${word}`;
    if (last !== undefined && textWidth(joined, scale) <= width) lines[lines.length - 1] = joined;
    else lines.push(word);
  }
  return lines;
}

/**
 * The title in the band above the plot, beside the right axis's label, never over it: one line at the labels' size if
 * it fits, else wrapped, else at half size. A run name is the title, and a long one used to run into "dice". A title
 * that fits none of these is drawn whole on one line at half size, reaching the label, rather than cut without a word.
 */
function fitTitle(s: string, width: number, band: number): { lines: string[]; scale: number; top: number } {
  for (const scale of [2, 1]) {
    const lines = wrap(s, width, scale);
    const height = lines ? lines.length * 6 * scale - scale : Number.POSITIVE_INFINITY;
    if (lines && height <= band) return { lines, scale, top: Math.max(2, Math.round((band - height) / 2)) };
  }
  return { lines: [s], scale: 1, top: 2 };
}

const fmt = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));

/** Moving average over a window of about 5% of the points. */
function smooth(ys: readonly number[]): number[] {
  const w = Math.max(1, Math.round(ys.length / 20));
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < ys.length; i++) {
    sum += ys[i];
    if (i >= w) sum -= ys[i - w];
    out.push(sum / Math.min(i + 1, w));
  }
  return out;
}

export function lossCurvePng(points: readonly CurvePoint[], opts: { width?: number; height?: number; title?: string } = {}): Uint8Array {
  const W = opts.width ?? 720;
  const H = opts.height ?? 400;
  const c = new Canvas(W, H);
  const L = 70;
  const R = W - 60;
  const T = 36;
  const B = H - 40;
  const pts = points.filter((p) => Number.isFinite(p.loss));
  const s0 = pts.length ? pts[0].step : 0;
  const s1 = pts.length ? Math.max(pts[pts.length - 1].step, s0 + 1) : 1;
  const maxLoss = Math.max(1e-6, ...pts.map((p) => p.loss)) * 1.05;
  const X = (s: number) => L + ((s - s0) / (s1 - s0)) * (R - L);
  const Y = (v: number, top: number) => B - (v / top) * (B - T);

  for (let k = 0; k <= 4; k++) {
    const y = B - (k / 4) * (B - T);
    c.line(L, y, R, y, GRID);
    c.text(L - 8, y - 5, fmt((maxLoss * k) / 4), LOSS, 2, 'right');
    c.text(R + 8, y - 5, fmt(k / 4), DICE, 2, 'left');
  }
  c.line(L, T, L, B, AXIS);
  c.line(R, T, R, B, AXIS);
  c.line(L, B, R, B, AXIS);
  c.text(L, B + 12, String(s0), AXIS);
  c.text(R, B + 12, String(s1), AXIS, 2, 'right');
  c.text((L + R) / 2, B + 12, 'step', AXIS, 2, 'center');
  const diceLabel = 'dice';
  c.text(R, 10, diceLabel, DICE, 2, 'right');
  const title = fitTitle(opts.title ?? 'loss', R - textWidth(diceLabel, 2) - 12 - L, T - 6);
  for (const [k, line] of title.lines.entries()) c.text(L, title.top + k * 6 * title.scale, line, LOSS, title.scale);

  const draw = (ys: readonly number[], top: number, color: RGB, thick: number) => {
    for (let i = 1; i < ys.length; i++) c.line(X(pts[i - 1].step), Y(ys[i - 1], top), X(pts[i].step), Y(ys[i], top), color, thick);
    if (ys.length === 1) c.set(X(pts[0].step), Y(ys[0], top), color);
  };
  const losses = pts.map((p) => p.loss);
  draw(losses, maxLoss, RAW, 1);
  draw(smooth(losses), maxLoss, LOSS, 2);
  if (pts.every((p) => p.dice !== undefined && Number.isFinite(p.dice))) draw(smooth(pts.map((p) => p.dice!)), 1, DICE, 2);
  return PNG.sync.write(c.png);
}

// One canvas showing one slice of an image stack (a volume, a series, or a single image) with its mask: scroll
// slices with the wheel, the keys (↑/↓, PageUp/PageDown, Home/End) or the slider; zoom with Ctrl+wheel or +/−
// about the cursor, 0 to fit; pan by dragging with the middle button, with Shift, or (query views) with the left
// button. The template view leaves the left button to the prompt tools. Display window from display-window.ts.
import type { LoadedImage, Mask } from '../src/app/data/image.js';
import { greyToRgbaWindow, maskOverlayRgba, type Rgb } from './pixels.js';
import type { ImageStack } from './stacks.js';
import { canvasToPixel, FIT, panBy, placement, zoomAt, type Placement, type ViewState } from './view-transform.js';

export interface SliceViewOptions {
  readonly canvas: HTMLCanvasElement;
  /** Longest side of the canvas, pixels. */
  readonly size: number;
  /** Plain left-button drags pan (query views); otherwise they are the page's (the template's prompt tools). */
  readonly leftPans: boolean;
  /** After the slice changed (scroll, keys, slider). */
  readonly onSlice: (view: SliceView) => void;
  /** After zoom or pan. */
  readonly onView: (view: SliceView) => void;
  /** The pointer entered or pressed on this view: keys go to it. */
  readonly onFocus: (view: SliceView) => void;
}

const ZOOM_STEP = 1.25;

export class SliceView {
  index = 0;
  state: ViewState = FIT;
  private layerKey = '';
  private layer: OffscreenCanvas | undefined;
  private drag: { x: number; y: number; id: number } | undefined;

  constructor(
    readonly o: SliceViewOptions,
    public stack: ImageStack,
  ) {
    this.setStack(stack);
    const c = o.canvas;
    c.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    c.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    c.addEventListener('pointermove', (e) => this.onPointerMove(e));
    c.addEventListener('pointerup', (e) => this.onPointerUp(e));
    c.addEventListener('pointercancel', (e) => this.onPointerUp(e));
    c.addEventListener('pointerenter', () => o.onFocus(this));
    c.addEventListener('auxclick', (e) => e.preventDefault());
  }

  /** Show another stack: its middle slice, fitted. */
  setStack(stack: ImageStack, index = Math.floor(stack.count / 2)): void {
    this.stack = stack;
    this.index = Math.min(stack.count - 1, Math.max(0, index));
    this.state = FIT;
    this.layerKey = '';
    const first = stack.slice(this.index);
    const scale = Math.min(this.o.size / first.width, this.o.size / first.height);
    this.o.canvas.width = Math.max(1, Math.round(first.width * scale));
    this.o.canvas.height = Math.max(1, Math.round(first.height * scale));
  }

  image(): LoadedImage {
    return this.stack.slice(this.index);
  }

  placement(): Placement {
    return placement(this.state, this.image(), this.o.canvas);
  }

  /** Image pixel coordinates (centres at integers) under a pointer event. */
  pixelAt(e: { clientX: number; clientY: number }): [number, number] {
    const c = this.o.canvas;
    const r = c.getBoundingClientRect();
    return canvasToPixel(this.placement(), ((e.clientX - r.left) * c.width) / r.width, ((e.clientY - r.top) * c.height) / r.height);
  }

  setIndex(i: number): void {
    const next = Math.min(this.stack.count - 1, Math.max(0, Math.round(i)));
    if (next === this.index) return;
    this.index = next;
    this.o.onSlice(this);
  }

  setState(s: ViewState): void {
    this.state = s;
    this.o.onView(this);
  }

  /** Keys for this view; true when the key was used. */
  handleKey(e: KeyboardEvent): boolean {
    const page = Math.max(1, Math.round(this.stack.count / 10));
    const c = this.o.canvas;
    const centre = [c.width / 2, c.height / 2] as const;
    switch (e.key) {
      case 'ArrowUp':
      case 'ArrowRight':
        this.setIndex(this.index + 1);
        return true;
      case 'ArrowDown':
      case 'ArrowLeft':
        this.setIndex(this.index - 1);
        return true;
      case 'PageUp':
        this.setIndex(this.index + page);
        return true;
      case 'PageDown':
        this.setIndex(this.index - page);
        return true;
      case 'Home':
        this.setIndex(0);
        return true;
      case 'End':
        this.setIndex(this.stack.count - 1);
        return true;
      case '+':
      case '=':
        this.setState(zoomAt(this.state, ZOOM_STEP, ...centre, this.image(), c));
        return true;
      case '-':
        this.setState(zoomAt(this.state, 1 / ZOOM_STEP, ...centre, this.image(), c));
        return true;
      case '0':
        this.setState(FIT);
        return true;
      default:
        return false;
    }
  }

  /** Draw the slice (windowed to [lo, hi]), its mask, then whatever `extra` adds (the template's prompt). */
  render(
    range: readonly [number, number],
    mask: Mask | undefined,
    colour: Rgb,
    opacity: number,
    extra?: (ctx: CanvasRenderingContext2D, p: Placement) => void,
  ): void {
    const c = this.o.canvas;
    const ctx = c.getContext('2d')!;
    const img = this.image();
    const key = `${this.stack.name}|${this.index}|${range[0]}|${range[1]}|${img.width}x${img.height}`;
    if (key !== this.layerKey || !this.layer) {
      this.layer = toLayer(greyToRgbaWindow(img, range[0], range[1]), img.width, img.height);
      this.layerKey = key;
    }
    const p = this.placement();
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(this.layer, p.x, p.y, img.width * p.scale, img.height * p.scale);
    if (mask && opacity > 0 && mask.width === img.width && mask.height === img.height) {
      ctx.drawImage(toLayer(maskOverlayRgba(mask, colour, opacity), mask.width, mask.height), p.x, p.y, img.width * p.scale, img.height * p.scale);
    }
    extra?.(ctx, p);
  }

  private canvasPoint(e: { clientX: number; clientY: number }): [number, number] {
    const c = this.o.canvas;
    const r = c.getBoundingClientRect();
    return [((e.clientX - r.left) * c.width) / r.width, ((e.clientY - r.top) * c.height) / r.height];
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    this.o.onFocus(this);
    if (e.ctrlKey || e.metaKey) {
      const [cx, cy] = this.canvasPoint(e);
      this.setState(zoomAt(this.state, e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, cx, cy, this.image(), this.o.canvas));
    } else if (e.deltaY !== 0) this.setIndex(this.index + (e.deltaY < 0 ? 1 : -1));
  }

  private pans(e: PointerEvent): boolean {
    return e.button === 1 || (e.button === 0 && (e.shiftKey || this.o.leftPans));
  }

  private onPointerDown(e: PointerEvent): void {
    this.o.onFocus(this);
    if (!this.pans(e)) return;
    e.preventDefault();
    this.o.canvas.setPointerCapture(e.pointerId);
    this.drag = { x: e.clientX, y: e.clientY, id: e.pointerId };
  }

  private onPointerMove(e: PointerEvent): void {
    if (!this.drag || e.pointerId !== this.drag.id) return;
    const c = this.o.canvas;
    const r = c.getBoundingClientRect();
    const k = c.width / r.width;
    this.setState(panBy(this.state, (e.clientX - this.drag.x) * k, (e.clientY - this.drag.y) * k));
    this.drag = { ...this.drag, x: e.clientX, y: e.clientY };
  }

  private onPointerUp(e: PointerEvent): void {
    if (this.drag && e.pointerId === this.drag.id) this.drag = undefined;
  }

  /** True while a pan drag is under way (the page's own pointer handlers stand aside). */
  get panning(): boolean {
    return this.drag !== undefined;
  }
}

function toLayer(rgba: Uint8ClampedArray, w: number, h: number): OffscreenCanvas {
  const c = new OffscreenCanvas(w, h);
  c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
  return c;
}

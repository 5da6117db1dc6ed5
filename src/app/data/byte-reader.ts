// Bounds-checked little/big-endian reads: every read past the end is a ParseFailure naming the offset, so a
// truncated file ends in a clear message instead of NaN values or an exception from deep inside DataView.
import { ParseFailure } from './errors.js';

export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    /** What is being read, for messages ("NIfTI header", "DICOM data set"). */
    readonly what: string,
    public littleEndian = true,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  need(offset: number, count: number, field: string): void {
    if (offset < 0 || count < 0 || offset + count > this.bytes.length) {
      throw new ParseFailure(
        `truncated ${this.what}: ${field} needs ${count} bytes at offset ${offset}, but the file has ${this.bytes.length} bytes`,
        `offset ${offset}`,
      );
    }
  }

  u8(o: number, field: string): number {
    this.need(o, 1, field);
    return this.bytes[o];
  }
  u16(o: number, field: string): number {
    this.need(o, 2, field);
    return this.view.getUint16(o, this.littleEndian);
  }
  i16(o: number, field: string): number {
    this.need(o, 2, field);
    return this.view.getInt16(o, this.littleEndian);
  }
  u32(o: number, field: string): number {
    this.need(o, 4, field);
    return this.view.getUint32(o, this.littleEndian);
  }
  i32(o: number, field: string): number {
    this.need(o, 4, field);
    return this.view.getInt32(o, this.littleEndian);
  }
  f32(o: number, field: string): number {
    this.need(o, 4, field);
    return this.view.getFloat32(o, this.littleEndian);
  }
  ascii(o: number, count: number, field: string): string {
    this.need(o, count, field);
    let s = '';
    for (let i = 0; i < count; i++) s += String.fromCharCode(this.bytes[o + i]);
    return s;
  }
  dataView(): DataView {
    return this.view;
  }
}

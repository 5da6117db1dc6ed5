// jpeg-lossless-decoder-js 2.x publishes no type declarations (its package.json names a .d.ts it does not ship):
// the one method we call, as its source (src/decoder.ts) declares it.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    /** Decode one JPEG Lossless (process 14) image; samples interleaved, 1 or 2 bytes each (numBytes). */
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseNifti, sliceCount, sliceVolume, allSlices, NiftiStreamDecoder } from '../../src/app/data/nifti.js';
import { readImage, readImages, readMask, readVolume } from '../../src/app/data/load.js';
import { setLoadLimits } from '../../src/app/data/limits.js';
import { message, right } from './either.js';
import { makeNifti, makeNifti2 } from './fixtures.js';

// A 4×3×2 volume whose value encodes its voxel: v = i + 10 j + 100 k.
const ramp = Array.from({ length: 24 }, (_, n) => (n % 4) + 10 * (Math.floor(n / 4) % 3) + 100 * Math.floor(n / 12));

describe('NIfTI header and voxels', () => {
  for (const [name, datatype, bitpix] of [
    ['uint8', 2, 8],
    ['int16', 4, 16],
    ['int32', 8, 32],
    ['float32', 16, 32],
    ['float64', 64, 64],
    ['uint16', 512, 16],
  ] as const) {
    for (const littleEndian of [true, false]) {
      it(`reads ${name} ${littleEndian ? 'little' : 'big'}-endian`, () => {
        const vol = right(parseNifti(makeNifti({ dims: [4, 3, 2], datatype, bitpix, values: ramp, littleEndian }), 'v.nii'));
        expect(vol.dims).toEqual([4, 3, 2]);
        expect(Array.from(vol.data)).toEqual(ramp);
      });
    }
  }

  it('applies scl_slope and scl_inter (slope 0 = no scaling)', () => {
    const scaled = right(parseNifti(makeNifti({ dims: [2, 1, 1], datatype: 256, bitpix: 8, values: [-3, 5], slope: 2, inter: -1 }), 's.nii'));
    expect(Array.from(scaled.data)).toEqual([-7, 9]);
    const raw = right(parseNifti(makeNifti({ dims: [2, 1, 1], datatype: 256, bitpix: 8, values: [-3, 5], slope: 0, inter: 50 }), 'r.nii'));
    expect(Array.from(raw.data)).toEqual([-3, 5]);
  });

  it('cuts planes in stored order and in display orientation', () => {
    const vol = right(parseNifti(makeNifti({ dims: [4, 3, 2], datatype: 4, bitpix: 16, values: ramp }), 'v.nii'));
    // No sform/qform: identity scaling, i = x (R), j = y (A), k = z (S).
    expect(sliceCount(vol, 'axial')).toBe(2);
    expect(sliceCount(vol, 'coronal')).toBe(3);
    expect(sliceCount(vol, 'sagittal')).toBe(4);
    const rawAxial = right(sliceVolume(vol, 'axial', 1, { reorient: false }));
    expect([rawAxial.width, rawAxial.height]).toEqual([4, 3]);
    expect(Array.from(rawAxial.data)).toEqual([100, 101, 102, 103, 110, 111, 112, 113, 120, 121, 122, 123]);
    // Display: columns run towards the patient's left (x decreasing), rows from anterior (y decreasing).
    const axial = right(sliceVolume(vol, 'axial', 1));
    expect(Array.from(axial.data.subarray(0, 4))).toEqual([123, 122, 121, 120]);
    const sagittal = right(sliceVolume(vol, 'sagittal', 2));
    expect([sagittal.width, sagittal.height]).toEqual([3, 2]); // columns: A→P (y), rows: S→I (z)
    expect(Array.from(sagittal.data)).toEqual([122, 112, 102, 22, 12, 2]);
    expect(allSlices(vol, 'coronal')).toHaveLength(3);
    expect(message(sliceVolume(vol, 'axial', 2))).toContain('axial slice 2 is out of range: the volume has 2 axial slices');
  });

  it('finds the axial plane from the sform when the voxel axes are permuted', () => {
    // As in ITK's KmeansTest volume: j runs superior, k runs anterior.
    const sform = [-2, 0, 0, 0, 0, 0, 3, 0, 0, 2, 0, 0];
    const vol = right(parseNifti(makeNifti({ dims: [4, 3, 2], datatype: 4, bitpix: 16, values: ramp, sform, pixdim: [2, 2, 3] }), 'p.nii'));
    expect(sliceCount(vol, 'axial')).toBe(3);
    const axial = right(sliceVolume(vol, 'axial', 1));
    expect([axial.width, axial.height]).toEqual([4, 2]);
    expect(axial.meta.pixelSpacing).toEqual([2, 3]);
    // Columns: i (x decreases with i already), rows: anterior first = k descending.
    expect(Array.from(axial.data)).toEqual([110, 111, 112, 113, 10, 11, 12, 13]);
  });
});

describe('NIfTI errors', () => {
  const good = makeNifti({ dims: [4, 3, 2], datatype: 4, bitpix: 16, values: ramp });

  it('reports truncation at every cut point, in the header or the voxels', () => {
    for (let cut = 0; cut < good.length; cut += 5) {
      const msg = message(parseNifti(good.subarray(0, cut), 'cut.nii'));
      if (cut >= 348) expect(msg).toContain('truncated voxel data: the header declares 4×3×2 int16 voxels');
      else expect(msg).toMatch(/truncated NIfTI header|not a NIfTI file/);
    }
  });

  it('names corrupt header fields with their offsets', () => {
    const patch = (offset: number, write: (v: DataView) => void): Uint8Array => {
      const b = good.slice();
      write(new DataView(b.buffer));
      void offset;
      return b;
    };
    expect(
      message(
        parseNifti(
          patch(344, (v) => v.setUint8(344, 0x41)),
          'm.nii',
        ),
      ),
    ).toBe('m.nii (offset 344): bad magic "A+1\\u0000" (expected "n+1")');
    expect(
      message(
        parseNifti(
          patch(40, (v) => v.setInt16(40, 9, true)),
          'd.nii',
        ),
      ),
    ).toContain('(offset 40): dim[0] = 9 must be between 1 and 7');
    expect(
      message(
        parseNifti(
          patch(70, (v) => v.setInt16(70, 32, true)),
          'c.nii',
        ),
      ),
    ).toContain('datatype complex64 (32) is not supported');
    expect(
      message(
        parseNifti(
          patch(72, (v) => v.setInt16(72, 8, true)),
          'b.nii',
        ),
      ),
    ).toContain('bitpix 8 does not match datatype int16');
    expect(
      message(
        parseNifti(
          patch(0, (v) => v.setInt32(0, 540, true)),
          'n2.nii',
        ),
      ),
    ).toContain('NIfTI-2');
    expect(
      message(
        parseNifti(
          patch(42, (v) => v.setInt16(44, 0, true)),
          'z.nii',
        ),
      ),
    ).toContain('dim[2] = 0 must be at least 1');
    expect(message(parseNifti(makeNifti({ dims: [1, 1, 1], datatype: 2, bitpix: 8, values: [1], magic: 'ni1\0' }), 'h.hdr'))).toContain('.hdr/.img pair');
  });

  it('reads .nii.gz from disk, and reports a cut gzip stream', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nii-'));
    const gz = gzipSync(good);
    writeFileSync(join(dir, 'v.nii.gz'), gz);
    writeFileSync(join(dir, 'cut.nii.gz'), gz.subarray(0, gz.length - 20));
    const img = right(readImage(join(dir, 'v.nii.gz'), { plane: 'coronal', slice: 0 }));
    expect([img.width, img.height]).toEqual([4, 2]);
    expect(right(readImages(join(dir, 'v.nii.gz'), { plane: 'sagittal' }))).toHaveLength(4);
    expect(message(readImage(join(dir, 'cut.nii.gz')))).toContain('gzip stream is truncated or corrupt');
    expect(message(readImage(join(dir, 'v.nii.gz'), { slice: 7 }))).toContain('axial slice 7 is out of range (0..1)');
  });

  it('makes masks from a label volume', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nii-'));
    const labels = [0, 1, 2, 2, 1, 0];
    writeFileSync(join(dir, 'l.nii'), makeNifti({ dims: [3, 2, 1], datatype: 2, bitpix: 8, values: labels }));
    const two = right(readMask(join(dir, 'l.nii'), { label: 2, slice: 0 }));
    const any = right(readMask(join(dir, 'l.nii'), { slice: 0 }));
    expect(two.data.reduce((a, b) => a + b, 0)).toBe(2);
    expect(any.data.reduce((a, b) => a + b, 0)).toBe(4);
  });
});

describe('NIfTI-2: the same reader, rules and limits as NIfTI-1', () => {
  const spec = { dims: [4, 3, 2], datatype: 4, bitpix: 16, values: ramp, pixdim: [2, 3, 4], sform: [-2, 0, 0, 5, 0, 3, 0, 6, 0, 0, 4, 7] };
  const v1 = right(parseNifti(makeNifti(spec), 'v1.nii'));

  it('reads the same volume and space as the NIfTI-1 file, in both byte orders, whole and streamed (.nii, .nii.gz)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nii2-'));
    for (const littleEndian of [true, false]) {
      const bytes = makeNifti2({ ...spec, littleEndian });
      const v2 = right(parseNifti(bytes, 'v2.nii'));
      expect(v2.dims).toEqual(v1.dims);
      expect(Array.from(v2.data)).toEqual(ramp);
      expect(v2.spacing).toEqual([2, 3, 4]);
      expect(v2.affine).toEqual(v1.affine);
      expect(v2.space?.sformCode).toBe(1);
      const name = `v2-${littleEndian ? 'le' : 'be'}`;
      writeFileSync(join(dir, `${name}.nii`), bytes);
      writeFileSync(join(dir, `${name}.nii.gz`), gzipSync(bytes));
      for (const file of [`${name}.nii`, `${name}.nii.gz`]) expect(Array.from(right(readVolume(join(dir, file))).data), file).toEqual(ramp);
    }
    // Fed a byte at a time, the decoder reads sizeof_hdr first, then the 540-byte header, then the voxels.
    const bytes = makeNifti2(spec);
    const d = new NiftiStreamDecoder('v2.nii', { maxBytes: bytes.length });
    for (let i = 0; i < bytes.length && d.push(bytes.subarray(i, i + 1)); i++);
    expect(Array.from(d.finish().data)).toEqual(ramp);
  });

  it('replaces and counts NaN and ±Inf voxels', () => {
    const v = right(parseNifti(makeNifti2({ dims: [3, 1, 1], datatype: 16, bitpix: 32, values: [NaN, Infinity, 5] }), 'f.nii'));
    expect(Array.from(v.data)).toEqual([0, 5, 5]);
    expect(v.nonFinite).toBe(2);
  });

  it('is held to the voxel limit before anything is allocated, and to what the file holds', () => {
    const huge = makeNifti2({ dims: [100000, 100000, 100000], datatype: 2, bitpix: 8, values: [] });
    expect(message(parseNifti(huge, 'huge.nii'))).toBe(
      'huge.nii (offset 24): volume 100000×100000×100000 (1000000000000000 voxels) exceeds the voxel limit: the limit is 67.1 M voxels (67108864); raise it with --max-voxels if the volume is real',
    );
    const before = setLoadLimits({ maxVoxels: 10 });
    try {
      expect(message(parseNifti(makeNifti2(spec), 'v.nii'))).toContain('volume 4×3×2 (24 voxels) exceeds the voxel limit');
    } finally {
      setLoadLimits(before);
    }
    const d = new NiftiStreamDecoder('big.nii.gz', { maxBytes: 1000, maxBytesWhy: '9 bytes of gzip data cannot hold more than 1000' });
    const big = makeNifti2({ dims: [64, 64, 64], datatype: 2, bitpix: 8, values: [] });
    expect(() => d.push(big)).toThrow('(9 bytes of gzip data cannot hold more than 1000)');
  });

  it('names broken fields with their NIfTI-2 offsets', () => {
    const good = makeNifti2(spec);
    const patch = (write: (v: DataView) => void): Uint8Array => {
      const b = good.slice();
      write(new DataView(b.buffer));
      return b;
    };
    expect(
      message(
        parseNifti(
          patch((v) => v.setUint8(6, 0x41)),
          'm.nii',
        ),
      ),
    ).toBe('m.nii (offset 4): bad magic "n+A\\u0000" (expected "n+2")');
    expect(
      message(
        parseNifti(
          patch((v) => v.setBigInt64(16, 9n, true)),
          'd.nii',
        ),
      ),
    ).toBe('d.nii (offset 16): NIfTI-2 dim[0] = 9 must be between 1 and 7');
    expect(
      message(
        parseNifti(
          patch((v) => v.setBigInt64(32, 0n, true)),
          'z.nii',
        ),
      ),
    ).toBe('z.nii (offset 32): NIfTI-2 dim[2] = 0 must be at least 1');
    expect(
      message(
        parseNifti(
          patch((v) => v.setBigInt64(32, 2n ** 62n, true)),
          'o.nii',
        ),
      ),
    ).toBe('o.nii (offset 32): NIfTI-2 dim[2] 4611686018427387904 is out of range');
    expect(
      message(
        parseNifti(
          patch((v) => v.setInt16(12, 32, true)),
          'c.nii',
        ),
      ),
    ).toBe('c.nii (offset 12): datatype complex64 (32) is not supported');
    expect(
      message(
        parseNifti(
          patch((v) => v.setInt16(14, 8, true)),
          'b.nii',
        ),
      ),
    ).toBe('b.nii (offset 14): bitpix 8 does not match datatype int16 (16 bits)');
    expect(
      message(
        parseNifti(
          patch((v) => v.setBigInt64(168, 348n, true)),
          'x.nii',
        ),
      ),
    ).toBe('x.nii (offset 168): vox_offset 348 must be a whole number of bytes >= 540');
    expect(message(parseNifti(good.subarray(0, 560), 't.nii'))).toContain(
      't.nii (offset 544): truncated voxel data: the header declares 4×3×2 int16 voxels (48 bytes for volume 0 from offset 544), but only 16 bytes follow',
    );
    expect(message(parseNifti(good.subarray(0, 300), 'h.nii'))).toContain(
      'truncated NIfTI-2 header: the 540-byte header needs 540 bytes at offset 0, but the file has 300 bytes',
    );
  });
});

// A label volume of a DICOM series as a DICOM Segmentation (SEG, SOP class 1.2.840.10008.5.1.4.1.1.66.4): BINARY,
// one segment per label, one frame per (segment, source slice) that has foreground, each frame referencing its
// source slice (SOP class and instance) and its position; patient, study and frame of reference copied from the
// series so that PACS and viewers (3D Slicer, OHIF, ITK-SNAP via dcmqi) file it with the scan and lay it on it.
// The modules written: Patient, General Study, General Series + Segmentation Series, Frame of Reference, General
// Equipment + Enhanced General Equipment, General Image, Image Pixel, Segmentation Image, Multi-frame Functional
// Groups (shared: orientation and pixel measures; per frame: derivation, frame content, position, segment), Multi-
// frame Dimension, Common Instance Reference, SOP Common. Our own writer (dicom-write.ts), not dcmjs: see
// docs/workflow.md for that choice. Checked by pydicom and dciodvfy (dicom3tools) in the tests. Browser-safe.
import type { DicomImage, ReferenceTag } from './dicom.js';
import type { SeriesGeometry } from './dicom-geometry.js';
import { decimalString, el, encodePart10, newUid, type DataSet, type Element } from './dicom-write.js';

export const SEGMENTATION_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';

export interface SegSegment {
  /** The value of this segment's voxels in the label volume. */
  readonly value: number;
  readonly label: string;
  /** sRGB display colour. */
  readonly colour?: readonly [number, number, number];
}

export interface SegInput {
  /** The series, sorted as the label volume's slices (slice k = labels[k·w·h ..]). */
  readonly series: readonly DicomImage[];
  readonly geometry: SeriesGeometry;
  /** index = x + width·(y + height·k). */
  readonly labels: Uint8Array | Uint16Array;
  readonly segments: readonly SegSegment[];
  /** SEMIAUTOMATIC: a model prompted by a person (One-Prompt). */
  readonly algorithmType?: 'AUTOMATIC' | 'SEMIAUTOMATIC';
  readonly algorithmName?: string;
  readonly seriesDescription?: string;
  /** For reproducible files in tests; default: crypto random. */
  readonly uid?: () => string;
  readonly now?: Date;
}

const code = (value: string, scheme: string, meaning: string): DataSet => [
  el(0x0008, 0x0100, 'SH', value),
  el(0x0008, 0x0102, 'SH', scheme),
  el(0x0008, 0x0104, 'LO', meaning),
];

/** sRGB (0..255) → DICOM's scaled CIELab (PS3.3 C.10.7.1.1): L* 0..100 and a*, b* −128..127 onto 0..65535. */
export function dicomLab([r, g, b]: readonly [number, number, number]): [number, number, number] {
  const lin = (c: number): number => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  // IEC 61966-2-1 sRGB → XYZ, relative to the D65 white.
  const X = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047;
  const Y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
  const Z = (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883;
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : (t * 24389) / 27 / 116 + 16 / 116);
  const L = 116 * f(Y) - 16;
  const a = 500 * (f(X) - f(Y));
  const bb = 200 * (f(Y) - f(Z));
  const clamp = (v: number): number => Math.min(65535, Math.max(0, Math.round(v)));
  return [clamp((L * 65535) / 100), clamp(((a + 128) * 65535) / 255), clamp(((bb + 128) * 65535) / 255)];
}

const two = (n: number): string => String(n).padStart(2, '0');
const dicomDate = (d: Date): string => `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
const dicomTime = (d: Date): string => `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;

/** Bits of all frames one after the other, first pixel in the lowest bit, no padding between frames (PS3.5 8.1.1). */
function packBits(frames: readonly Uint8Array[]): Uint8Array {
  const total = frames.reduce((a, f) => a + f.length, 0);
  const out = new Uint8Array(Math.ceil(total / 8) + (Math.ceil(total / 8) % 2));
  let bit = 0;
  for (const f of frames) {
    for (let i = 0; i < f.length; i++, bit++) if (f[i]) out[bit >> 3] |= 1 << (bit & 7);
  }
  return out;
}

export function encodeDicomSeg(input: SegInput): Uint8Array {
  const { series, geometry, labels } = input;
  if (series.length === 0) throw new RangeError('DICOM-SEG: the series has no slices');
  const { width, height } = series[0];
  const perSlice = width * height;
  if (labels.length !== perSlice * series.length) throw new RangeError(`DICOM-SEG: ${labels.length} labels for ${series.length} slices of ${width}×${height}`);
  const missing = series.find((s) => !s.dicom.attributes?.SOPInstanceUID || !s.dicom.attributes?.SOPClassUID);
  if (missing) throw new Error(`${missing.meta.source}: no SOPInstanceUID/SOPClassUID, so a DICOM-SEG cannot reference it`);
  const uid = input.uid ?? (() => newUid());
  const now = input.now ?? new Date();
  const src = (name: ReferenceTag): string => series[0].dicom.attributes?.[name] ?? '';
  const sopInstanceUid = uid();
  const dimensionOrganization = uid();

  // Frames: per segment, the slices where it has voxels (a SEG without a single frame is invalid: keep one).
  const frames: { segment: number; slice: number; bits: Uint8Array }[] = [];
  input.segments.forEach((seg, s) => {
    for (let k = 0; k < series.length; k++) {
      const bits = new Uint8Array(perSlice);
      let any = false;
      for (let p = 0; p < perSlice; p++) {
        if (labels[k * perSlice + p] === seg.value) {
          bits[p] = 1;
          any = true;
        }
      }
      if (any) frames.push({ segment: s + 1, slice: k, bits });
    }
  });
  if (frames.length === 0) frames.push({ segment: 1, slice: 0, bits: new Uint8Array(perSlice) });

  const sourceRef = (k: number): DataSet => [
    el(0x0008, 0x1150, 'UI', series[k].dicom.attributes!.SOPClassUID!),
    el(0x0008, 0x1155, 'UI', series[k].dicom.attributes!.SOPInstanceUID!),
  ];
  const perFrame: DataSet[] = frames.map((f) => [
    // Derivation Image: this frame is a segmentation of that source slice.
    el(0x0008, 0x9124, 'SQ', [
      [
        el(0x0008, 0x2112, 'SQ', [[...sourceRef(f.slice), el(0x0040, 0xa170, 'SQ', [code('121322', 'DCM', 'Source image for image processing operation')])]]),
        el(0x0008, 0x9215, 'SQ', [code('113076', 'DCM', 'Segmentation')]),
      ],
    ]),
    el(0x0020, 0x9111, 'SQ', [[el(0x0020, 0x9157, 'UL', [f.segment, f.slice + 1])]]),
    el(0x0020, 0x9113, 'SQ', [[el(0x0020, 0x0032, 'DS', geometry.positions[f.slice].map(decimalString).join('\\'))]]),
    el(0x0062, 0x000a, 'SQ', [[el(0x0062, 0x000b, 'US', [f.segment])]]),
  ]);
  const segments: DataSet[] = input.segments.map((seg, s) => [
    el(0x0062, 0x0003, 'SQ', [code('91723000', 'SCT', 'Anatomical Structure')]),
    el(0x0062, 0x0004, 'US', [s + 1]),
    el(0x0062, 0x0005, 'LO', seg.label.slice(0, 64)),
    el(0x0062, 0x0008, 'CS', input.algorithmType ?? 'SEMIAUTOMATIC'),
    el(0x0062, 0x0009, 'LO', input.algorithmName ?? 'One-Prompt'),
    ...(seg.colour ? [el(0x0062, 0x000d, 'US', dicomLab(seg.colour))] : []),
    el(0x0062, 0x000f, 'SQ', [code('91723000', 'SCT', 'Anatomical Structure')]),
  ]);
  const [rowSpacing, colSpacing] = geometry.pixelSpacing;
  const keep = (group: number, element: number, vr: string, name: ReferenceTag): Element => el(group, element, vr, src(name));
  const ds: Element[] = [
    ...(src('SpecificCharacterSet') ? [keep(0x0008, 0x0005, 'CS', 'SpecificCharacterSet')] : []),
    el(0x0008, 0x0008, 'CS', 'DERIVED\\PRIMARY'),
    el(0x0008, 0x0016, 'UI', SEGMENTATION_SOP_CLASS),
    el(0x0008, 0x0018, 'UI', sopInstanceUid),
    keep(0x0008, 0x0020, 'DA', 'StudyDate'),
    el(0x0008, 0x0021, 'DA', dicomDate(now)),
    el(0x0008, 0x0023, 'DA', dicomDate(now)),
    keep(0x0008, 0x0030, 'TM', 'StudyTime'),
    el(0x0008, 0x0031, 'TM', dicomTime(now)),
    el(0x0008, 0x0033, 'TM', dicomTime(now)),
    keep(0x0008, 0x0050, 'SH', 'AccessionNumber'),
    el(0x0008, 0x0060, 'CS', 'SEG'),
    el(0x0008, 0x0070, 'LO', 'oneprompt'),
    keep(0x0008, 0x0090, 'PN', 'ReferringPhysicianName'),
    el(0x0008, 0x103e, 'LO', (input.seriesDescription ?? 'One-Prompt segmentation').slice(0, 64)),
    el(0x0008, 0x1090, 'LO', 'oneprompt segment'),
    // Common Instance Reference: every source slice, by series.
    el(0x0008, 0x1115, 'SQ', [
      [
        el(
          0x0008,
          0x114a,
          'SQ',
          series.map((_, k) => sourceRef(k)),
        ),
        el(0x0020, 0x000e, 'UI', series[0].dicom.seriesUid ?? ''),
      ],
    ]),
    keep(0x0010, 0x0010, 'PN', 'PatientName'),
    keep(0x0010, 0x0020, 'LO', 'PatientID'),
    keep(0x0010, 0x0030, 'DA', 'PatientBirthDate'),
    keep(0x0010, 0x0040, 'CS', 'PatientSex'),
    el(0x0018, 0x1000, 'LO', '1'),
    el(0x0018, 0x1020, 'LO', '0.1.0'),
    keep(0x0020, 0x000d, 'UI', 'StudyInstanceUID'),
    el(0x0020, 0x000e, 'UI', uid()),
    keep(0x0020, 0x0010, 'SH', 'StudyID'),
    el(0x0020, 0x0011, 'IS', '300'),
    el(0x0020, 0x0013, 'IS', '1'),
    keep(0x0020, 0x0052, 'UI', 'FrameOfReferenceUID'),
    el(0x0020, 0x1040, 'LO', ''),
    el(0x0020, 0x9221, 'SQ', [[el(0x0020, 0x9164, 'UI', dimensionOrganization)]]),
    el(0x0020, 0x9222, 'SQ', [
      [
        el(0x0020, 0x9164, 'UI', dimensionOrganization),
        el(0x0020, 0x9165, 'AT', [0x0062000b]),
        el(0x0020, 0x9167, 'AT', [0x0062000a]),
        el(0x0020, 0x9421, 'LO', 'ReferencedSegmentNumber'),
      ],
      [
        el(0x0020, 0x9164, 'UI', dimensionOrganization),
        el(0x0020, 0x9165, 'AT', [0x00200032]),
        el(0x0020, 0x9167, 'AT', [0x00209113]),
        el(0x0020, 0x9421, 'LO', 'ImagePositionPatient'),
      ],
    ]),
    el(0x0028, 0x0002, 'US', [1]),
    el(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
    el(0x0028, 0x0008, 'IS', String(frames.length)),
    el(0x0028, 0x0010, 'US', [height]),
    el(0x0028, 0x0011, 'US', [width]),
    el(0x0028, 0x0100, 'US', [1]),
    el(0x0028, 0x0101, 'US', [1]),
    el(0x0028, 0x0102, 'US', [0]),
    el(0x0028, 0x0103, 'US', [0]),
    el(0x0028, 0x2110, 'CS', '00'),
    el(0x0062, 0x0001, 'CS', 'BINARY'),
    el(0x0062, 0x0002, 'SQ', segments),
    el(0x0062, 0x0013, 'CS', 'NO'),
    el(0x0070, 0x0080, 'CS', 'ONEPROMPT'),
    el(0x0070, 0x0081, 'LO', 'One-Prompt segmentation'),
    el(0x0070, 0x0084, 'PN', ''),
    el(0x5200, 0x9229, 'SQ', [
      [
        el(0x0020, 0x9116, 'SQ', [[el(0x0020, 0x0037, 'DS', geometry.orientation.map(decimalString).join('\\'))]]),
        el(0x0028, 0x9110, 'SQ', [
          [
            el(0x0018, 0x0050, 'DS', decimalString(geometry.sliceSpacing)),
            el(0x0018, 0x0088, 'DS', decimalString(geometry.sliceSpacing)),
            el(0x0028, 0x0030, 'DS', `${decimalString(rowSpacing)}\\${decimalString(colSpacing)}`),
          ],
        ]),
      ],
    ]),
    el(0x5200, 0x9230, 'SQ', perFrame),
    el(0x7fe0, 0x0010, 'OB', packBits(frames.map((f) => f.bits))),
  ];
  return encodePart10(SEGMENTATION_SOP_CLASS, sopInstanceUid, ds);
}

import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { parseTextFormat, TextFormatError } from '../../src/compile/pbtext.js';
import { tritonModelConfigType } from '../../src/compile/triton.js';

// A small schema covering what Triton's does not: bytes, floats, uint, maps with scalar values, nested enums.
const SCHEMA = `
syntax = "proto3";
package t;
enum Color { RED = 0; GREEN = 1; }
message Inner { int32 a = 1; repeated string tags = 2; }
message Outer {
  string name = 1;
  int32 small = 2;
  uint32 count = 3;
  int64 big = 4;
  double ratio = 5;
  float gain = 6;
  bool on = 7;
  bytes blob = 8;
  Color color = 9;
  repeated Color colors = 10;
  Inner inner = 11;
  repeated Inner inners = 12;
  repeated int64 dims = 13;
  map<string, int32> counts = 14;
  map<string, Inner> named = 15;
  oneof choice { string left = 16; Inner right = 17; }
}`;
const outer = protobuf.parse(SCHEMA, { keepCase: true }).root.lookupType('t.Outer');
const parse = (text: string) => parseTextFormat(outer, text, { source: 'test.pbtxt' });

describe('text format parser', () => {
  it('reads scalars, enums, nested and repeated messages, lists, maps, comments and separators', () => {
    const v = parse(`
      # a comment
      name: "a \\"quoted\\" \\x41\\101\\u00e9" 'and more'
      small: -0x10, count: 010; big: 9007199254740993
      ratio: -inf gain: 1.5e2f on: True
      blob: "\\000\\377"
      color: GREEN colors: [RED, 1] colors: GREEN
      inner { a: 3 tags: ["x", "y"] }
      inners: [{ a: 1 }, < a: 2 >]
      inners { }
      dims: [1, -1, 3] dims: 4
      counts { key: "p" value: 2 } counts: [{ key: "q" value: 3 }]
      named { key: "n" value { a: 7 } }
      right { a: 9 }
    `);
    expect(v.name).toBe('a "quoted" AAéand more');
    expect([v.small, v.count]).toEqual([-16, 8]);
    expect(v.big).toBe(2 ** 53); // 2^53 + 1 is read as a 64-bit integer; it comes back as a number, exact only up to 2^53
    expect([v.ratio, v.gain, v.on]).toEqual([-Infinity, 150, true]);
    expect(Array.from(v.blob as Uint8Array)).toEqual([0, 255]);
    expect([v.color, v.colors]).toEqual(['GREEN', ['RED', 'GREEN', 'GREEN']]);
    expect(v.inner).toEqual({ a: 3, tags: ['x', 'y'] });
    expect(v.inners).toEqual([{ a: 1 }, { a: 2 }, {}]);
    expect(v.dims).toEqual([1, -1, 3, 4]);
    expect(v.counts).toEqual({ p: 2, q: 3 });
    expect(v.named).toEqual({ n: { a: 7 } });
    expect(v.right).toEqual({ a: 9 });
  });

  const rejects: [string, string, RegExp][] = [
    ['an unknown field, with its line and column', 'name: "x"\n  colour: RED', /test\.pbtxt:2:3: unknown field 'colour' in t\.Outer/],
    ['an unknown field in a nested message', 'inner { b: 1 }', /unknown field 'b' in t\.Inner/],
    ['an unknown enum name', 'color: BLUE', /'BLUE' is not a value of enum t\.Color/],
    ['a scalar without a colon', 'small 3', /expected ':' after scalar field 'small'/],
    ['a non-repeated field set twice', 'small: 1 small: 2', /non-repeated field 'small' is set more than once/],
    ['a list for a non-repeated field', 'small: [1, 2]', /'small' is not repeated/],
    ['int32 overflow', 'small: 2147483648', /out of range for int32/],
    ['a negative unsigned value', 'count: -1', /out of range for uint32/],
    ['a string for a number', 'small: "3"', /takes an integer/],
    ['a number for a string', 'name: 3', /takes a string/],
    ['a float for an integer', 'small: 1.5', /takes an integer/],
    ['two members of a oneof', 'left: "l" right { }', /both members of oneof 'choice'/],
    ['an unclosed message', 'inner { a: 1', /expected '}' to close t\.Inner/],
    ['an unterminated string', 'name: "abc', /unterminated string/],
    ['extensions', '[ext.field]: 1', /extensions and Any expansions are not supported/],
    ['invalid UTF-8 in a string field', 'name: "\\377"', /UTF-8/],
  ];
  for (const [what, text, message] of rejects)
    it(`rejects ${what}`, () => {
      expect(() => parse(text)).toThrow(TextFormatError);
      expect(() => parse(text)).toThrow(message);
    });
});

describe("Triton's model_config.proto through the parser", () => {
  const config = tritonModelConfigType();

  it('reads a hand-written Triton config with enums, oneof scheduling, maps and nested messages', () => {
    const v = parseTextFormat(
      config,
      `name: "m" platform: "onnxruntime_onnx" max_batch_size: 4
       input [ { name: "x" data_type: TYPE_FP16 dims: [ 3, -1 ] } ]
       output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] reshape: { shape: [ ] } } ]
       dynamic_batching { preferred_batch_size: [ 2, 4 ] max_queue_delay_microseconds: 50 }
       instance_group [ { count: 2 kind: KIND_GPU gpus: [ 0 ] } ]
       parameters { key: "cudnn_conv_algo_search" value: { string_value: "HEURISTIC" } }`,
    );
    expect(v.input).toEqual([{ name: 'x', data_type: 'TYPE_FP16', dims: [3, -1] }]);
    expect(v.output).toEqual([{ name: 'y', data_type: 'TYPE_FP32', dims: [1], reshape: {} }]);
    expect(v.dynamic_batching).toEqual({ preferred_batch_size: [2, 4], max_queue_delay_microseconds: 50 });
    expect(v.instance_group).toEqual([{ count: 2, kind: 'KIND_GPU', gpus: [0] }]);
    expect(v.parameters).toEqual({ cudnn_conv_algo_search: { string_value: 'HEURISTIC' } });
  });

  it('rejects what Triton would: a misspelt field, a wrong enum, two scheduling choices', () => {
    expect(() => parseTextFormat(config, 'max_batch: 4')).toThrow(/unknown field 'max_batch' in inference\.ModelConfig/);
    expect(() => parseTextFormat(config, 'instance_group [ { kind: KIND_TPU } ]')).toThrow(
      /'KIND_TPU' is not a value of enum inference\.ModelInstanceGroup\.Kind/,
    );
    expect(() => parseTextFormat(config, 'dynamic_batching { } sequence_batching { }')).toThrow(/both members of oneof/);
  });
});

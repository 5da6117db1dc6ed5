// The model's checked narrowings (docs/architecture.md) accept what the model builds and throw, naming the relation,
// the tensor and the source line, when a shape breaks it; the configuration arithmetic the compiler does (SideAt,
// GridSide in config.ts) agrees with the code's for every configuration.
import { describe, expect, it } from 'vitest';
import { assertShape, BuildShapeError, input, ParamStore } from '../../src/dsl/index.js';
import { configs, gridSide, sideAt, tokenCount, type OnePromptConfig } from '../../graphs/oneprompt/config.js';
import { encoderLevel, imageEncoder } from '../../graphs/oneprompt/encoder.js';
import { maskOfSize } from '../../graphs/oneprompt/head.js';
import { onTokenGrid } from '../../graphs/oneprompt/prompt-encoder.js';
import { maskAtLevel } from '../../graphs/oneprompt/prototype.js';

const wide = (n: number): number => n; // a dim the compiler only knows as `number`

describe('checked narrowings', () => {
  it('assertShape: passes the tensor through when the shape holds, else a BuildShapeError with the relation', () => {
    const x = input('x', ['B', wide(64), 32]);
    expect(assertShape(x, ['B', 64, 32], 'tokens').value).toBe(x.value);
    const e = (() => {
      try {
        assertShape(x, ['B', 16, 32], 'tokens on the 4×4 grid');
      } catch (err) {
        return err as BuildShapeError;
      }
      throw new Error('accepted');
    })();
    expect(e).toBeInstanceOf(BuildShapeError);
    expect(e.rule).toBe('tokens on the 4×4 grid: expected [B, 16, 32], got [B, 64, 32]');
    expect(e.tensors).toEqual(["input 'x' [B, 64, 32]"]);
    expect(e.source).toMatch(/tests\/model\/narrowings\.test\.ts:\d+:\d+$/);
  });

  it('onTokenGrid: G·G tokens, or the grid it expected', () => {
    expect(onTokenGrid(input('t', ['B', wide(64), 32]), 8).shape).toEqual(['B', 64, 32]);
    expect(() => onTokenGrid(input('t', ['B', wide(256), 32]), 8)).toThrow(/tokens on the 8×8 grid: expected \[B, 64, 32\], got \[B, 256, 32\]/);
  });

  it('encoderLevel: level j is (B, widths[j], S/2^j, S/2^j) of its configuration', () => {
    const c = configs.tiny;
    const features = imageEncoder(new ParamStore(0).root().at('encoder'), input('img', ['B', 1, 64, 64]), c);
    for (let j = 0; j <= c.levels; j++) expect(encoderLevel(features, c, j).shape).toEqual(['B', c.widths[j], 64 >> j, 64 >> j]);
    // the features of another configuration (or a level list of another encoder) do not pass
    expect(() => encoderLevel(features, configs.small, 1)).toThrow(/encoder level 1: expected \[B, 32, 128, 128\], got \[B, 16, 32, 32\]/);
    expect(() => encoderLevel(features, c, 4)).toThrow(/encoder level 4: the encoder has levels 0\.\.3/);
  });

  it('encoderLevel reads some levels by number too (a template in the prompt decoder), naming the levels it has', () => {
    const c = configs.brain128p;
    const levels = { 1: input('f1', ['B', 16, wide(64), wide(64)]), 2: input('f2', ['B', 32, wide(32), wide(32)]) };
    expect(encoderLevel(levels, c, 2).shape).toEqual(['B', 32, 32, 32]);
    expect(() => encoderLevel(levels, c, 3)).toThrow(/encoder level 3: the encoder has levels 1, 2/);
  });

  it('maskAtLevel: the prompt mask averaged down to level j is (B, 1, S/2^j, S/2^j)', () => {
    const c = configs.brain128p;
    expect(maskAtLevel(input('m', ['B', 1, 128, 128]), c, 2).shape).toEqual(['B', 1, 32, 32]);
    expect(maskAtLevel(input('m', ['B', 1, 128, 128]), c, 0).shape).toEqual(['B', 1, 128, 128]);
    expect(() => maskAtLevel(input('m', ['B', 1, 64, 64]), c, 1)).toThrow(
      /the prompt mask at encoder level 1: expected \[B, 1, 64, 64\], got \[B, 1, 32, 32\]/,
    );
  });

  it('maskOfSize: the head ends at (B, 1, S, S)', () => {
    expect(maskOfSize(input('m', ['B', 1, wide(64), wide(64)]), 64).shape).toEqual(['B', 1, 64, 64]);
    expect(() => maskOfSize(input('m', ['B', 1, wide(32), wide(32)]), 64)).toThrow(
      /mask logits of the 64×64 image: expected \[B, 1, 64, 64\], got \[B, 1, 32, 32\]/,
    );
  });

  it("the configuration's arithmetic in code is the compiler's (tests/types/configs.types.ts pins the types)", () => {
    const expected: Record<string, { grid: number; tokens: number; sides: number[] }> = {
      tiny: { grid: 8, tokens: 64, sides: [64, 32, 16, 8] },
      small: { grid: 16, tokens: 256, sides: [256, 128, 64, 32, 16] },
      base: { grid: 64, tokens: 4096, sides: [1024, 512, 256, 128, 64] },
      tiny128: { grid: 16, tokens: 256, sides: [128, 64, 32, 16] },
      brain128: { grid: 16, tokens: 256, sides: [128, 64, 32, 16] },
      brain128r: { grid: 16, tokens: 256, sides: [128, 64, 32, 16] },
      brain128p: { grid: 16, tokens: 256, sides: [128, 64, 32, 16] },
      brain128d: { grid: 16, tokens: 256, sides: [128, 64, 32, 16] },
      brain128g: { grid: 16, tokens: 256, sides: [128, 64, 32, 16] },
    };
    for (const [name, c] of Object.entries(configs) as [string, OnePromptConfig][]) {
      expect(gridSide(c), name).toBe(expected[name].grid);
      expect(tokenCount(c), name).toBe(expected[name].tokens);
      expect(
        Array.from({ length: c.levels + 1 }, (_, j) => sideAt(c, j)),
        name,
      ).toEqual(expected[name].sides);
    }
  });
});

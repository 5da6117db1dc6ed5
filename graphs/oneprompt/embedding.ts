// Token embeddings (B, N, L), the maps the decoder works on, and the rule that a module's embeddings agree.
//
// Module bodies in this folder are checked with named dims: each exported module has a generic signature callers
// see (`<B, N, L>(et: Embedding<B, N, L>, …)`, literal dims flow through it) and an implementation signature at the
// dims' names (`Embedding<'B', 'N', 'L'>`). The compiler checks the body once for the names, which holds for every
// configuration, and states each mistake as the DSL's sentence ("matmul: inner dims differ (L vs N)"). A last
// signature applies the rules below, so a wrong wire at a call reads as a sentence too.
import type { Dim, DimAdd, DimsAgree, Shape, ShapeError, Tensor } from '../../src/dsl/index.js';

/** A token embedding: N tokens of length L per batch item. */
export type Embedding<B extends Dim = Dim, N extends Dim = Dim, L extends Dim = Dim> = Tensor<readonly [B, N, L], 'float32'>;

/** An N × N map between tokens per batch item, such as the Prompt-Parser's M (eq. 2). */
export type TokenMap<B extends Dim = Dim, N extends Dim = Dim> = Tensor<readonly [B, N, N], 'float32'>;

/** The (B, N, L) embedding of a shape: the result of a call that only a last, rule-checking signature accepts. */
export type EmbeddingOf<S extends Shape> = S extends readonly [infer B extends Dim, infer N extends Dim, infer L extends Dim] ? Embedding<B, N, L> : Embedding;

/** A feature map (B, C, H, W). */
export type FeatureMap<B extends Dim = Dim, C extends Dim = Dim, H extends Dim = Dim, W extends Dim = H> = Tensor<readonly [B, C, H, W], 'float32'>;

/** 3N, the tokens of [e_t; p1; p2] stacked along tokens, written as concat writes it ('N+N+N'; 192 for N = 64). */
export type Stacked<N extends Dim> = DimAdd<DimAdd<N, N>, N>;

/** `unknown` when S is an embedding (rank 3), else the sentence. */
export type IsEmbedding<Op extends string, S extends Shape> = number extends S['length'] ? unknown
  : S extends readonly [Dim, Dim, Dim] ? unknown : ShapeError<`${Op}: embeddings must be (B, N, L)`>;

/** `unknown` when the embedding S (called `Name`) has the reference's batch, tokens and length, else the first difference. */
export type EmbeddingAgrees<Op extends string, Ref extends Shape, RefName extends string, S extends Shape, Name extends string> = number extends S['length'] ? unknown
  : S extends readonly [infer B, infer N, infer L]
    ? Ref extends readonly [infer RB, infer RN, infer RL]
      ? DimsAgree<N, RN> extends false ? ShapeError<`${Op}: the ${RefName} has ${RN & Dim} tokens but the ${Name} has ${N & Dim}`>
        : DimsAgree<L, RL> extends false ? ShapeError<`${Op}: ${RefName} embeddings have length ${RL & Dim} but ${Name} embeddings ${L & Dim}`>
        : DimsAgree<B, RB> extends false ? ShapeError<`${Op}: the ${RefName} has batch ${RB & Dim} but the ${Name} has ${B & Dim}`>
        : unknown
      : unknown
    : ShapeError<`${Op}: embeddings must be (B, N, L)`>;

/** `unknown` when S is a square (B, N, N) map between tokens, else the sentence. */
export type IsTokenMap<Op extends string, S extends Shape> = number extends S['length'] ? unknown
  : S extends readonly [Dim, infer N, infer M]
    ? DimsAgree<N, M> extends false ? ShapeError<`${Op}: M must be a square (B, N, N) map between tokens, got ${N & Dim} × ${M & Dim}`> : unknown
    : ShapeError<`${Op}: M must be a (B, N, N) map between tokens`>;

/** `unknown` when the embedding S has the token map's batch and tokens, else the sentence. */
export type EmbeddingFitsMap<Op extends string, Map extends Shape, S extends Shape> = number extends S['length'] ? unknown
  : S extends readonly [infer B, infer N, Dim]
    ? Map extends readonly [infer MB, infer MN, Dim]
      ? DimsAgree<N, MN> extends false ? ShapeError<`${Op}: M is a map between ${MN & Dim} tokens but the embedding has ${N & Dim}`>
        : DimsAgree<B, MB> extends false ? ShapeError<`${Op}: M has batch ${MB & Dim} but the embedding has ${B & Dim}`>
        : unknown
      : unknown
    : ShapeError<`${Op}: embeddings must be (B, N, L)`>;

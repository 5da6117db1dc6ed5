// Metrics and baselines for evaluation.
export * from './dice.js';
export * from './copy-template.js';
export * from './region-grow.js';
export * from './protocol.js';
export * from './selectivity.js';
export * from './compare.js';
export * from './bootstrap.js';

export * from './ops/elementwise.js';
export * from './ops/matmul.js';

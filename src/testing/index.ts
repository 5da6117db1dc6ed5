// oneprompt/testing: property-based tests of your own graphs. checkShapes (declared shapes = ONNX Runtime's, and ONNX's
// checker where installed), the tfjs/ONNX Runtime parity harness, gradient and vjp checks. Node-only.
export { checkShapes, checkInstance, randomFeeds, type ShapePropertySpec, type GraphInstance } from './shape-property.js';
export { checkParity, compareForwards, type ParitySpec } from './parity.js';
export { checkGradients, type GradCheckSpec } from './gradcheck.js';
export { checkVjp, type VjpCheckSpec } from './vjp-check.js';

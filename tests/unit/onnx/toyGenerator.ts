// The toy generator lives in src/main/engine/onnx/toyGenerator.ts (the studio uses it as a
// built-in demo generator); this re-export keeps the path other tests were pointed at working.
export { buildToyGenerator, type ToyGenerator, type ToyGeneratorOptions } from '../../../src/main/engine/onnx/toyGenerator'

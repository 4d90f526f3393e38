// The one TensorFlow.js namespace type used across Twinlight. When tfjs-node is in use the
// namespace comes from it (a superset of tfjs-core); otherwise from tfjs-core itself. Either
// way code should only rely on the tfjs-core surface typed here.
export type Tf = typeof import('@tensorflow/tfjs-core')

/** Backends Twinlight can run on, in start-up preference order. */
export const TF_BACKEND_KINDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const
export type TfBackendKind = (typeof TF_BACKEND_KINDS)[number]

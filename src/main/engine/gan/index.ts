// Dual-branch generator training (BiFaceGAN's DB-StyleGAN2 scaled to a laptop), checkpoints,
// ONNX export and previews. See config.ts (presets), networks.ts (the networks), trainer.ts
// (one step), run.ts (a run in a folder) and export.ts (ONNX + generator.json).
export * from './config'
export * from './checkpoint'
export * from './data'
export * from './export'
export * from './networks'
export * from './preview'
export * from './prng'
export * from './run'
export * from './trainer'

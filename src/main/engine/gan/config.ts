// The training config lives in src/shared/ganConfig.ts (zod only) so the Models view can use the
// presets and the schema; the engine re-exports it from here.
export * from '../../../shared/ganConfig'

// Parameters of the make-dataset job kind (and the CLI): defined in src/shared/dataset.ts,
// where the Dataset view's form validates with the same schema. Light: zod only, so the main
// process can import it without onnxruntime.
export { MakeDatasetParamsSchema, type MakeDatasetParams } from '../../../shared/dataset'

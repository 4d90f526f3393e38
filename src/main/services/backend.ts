// The studio backend: every service behind the one API table. Transports (Electron IPC,
// the WebSocket server, tests) call `dispatch(method, args)` and subscribe to `events`;
// nothing here knows which transport is in use.
import { resolve } from 'node:path'
import { z } from 'zod'
import {
  API,
  ApiError,
  type ApiErrorData,
  type MethodName,
  type MethodOutput,
  type StudioEvent,
  type SystemInfo
} from '../../shared/api'
import { Emitter } from '../../shared/emitter'
import type { JobInfo } from '../../shared/jobs'
import { PROJECT_TEMPLATES } from '../../shared/project'
import { ProjectStore } from './projectStore'
import { SampleStore } from './sampleStore'
import { AnnotationStore, exportMask, importMask } from './annotationStore'
import { checkClassesKept, finishClassRemoval, removeClass } from './annotationClasses'
import { exportSelection, importFiles, readMaskFolder, type SelectionContext } from './annotationSelection'
import { JobManager, type JobKind } from './jobs/jobManager'
import { ChildProcessWorkerHost, type WorkerHost } from './jobs/workerHost'
import { builtinJobKinds } from './jobs/kinds'
import { projectsHome, resolveInProject } from './paths'
import { attachGenerator, describeGenerators, sampleDetail, sampleJob, setExecutionProvider, useGenerator } from './generatorService'
import { latestModelRun, listRuns, predictWithWorker, readRun } from './interpreter/runs'
import { applyPredictions, currentPredictions, readStoredPrediction } from './interpreter/predictions'
import { compareSources, computeCompareReport, loadProjectLabels, readCompareReport, runsInline } from './compareService'
import { COMPARE_JOB_KIND } from './compareJob'
import { listDatasets, readDataset, readDatasetRecord } from './datasetService'

export interface BackendOptions {
  mode: SystemInfo['mode']
  version: string
  workerHost?: WorkerHost
  /** Extra job kinds (the test-only worker). */
  extraJobKinds?: JobKind<never>[]
}

interface ProjectContext {
  dir: string
  jobs: JobManager
  samples: SampleStore
  annotations: AnnotationStore
  unsubscribe: () => void
}

type Handler<M extends MethodName> = (args: z.output<(typeof API)[M]['input']>) => Promise<MethodOutput<M>> | MethodOutput<M>

export class StudioBackend {
  readonly events = new Emitter<{ event: StudioEvent }>()
  readonly projects = new ProjectStore()
  private readonly kinds: Map<string, JobKind<never>>
  private readonly host: WorkerHost
  private context: ProjectContext | null = null
  /** Managers of projects the user switched away from keep running their jobs. */
  private readonly managers = new Map<string, JobManager>()

  constructor(private readonly options: BackendOptions) {
    this.host = options.workerHost ?? new ChildProcessWorkerHost()
    this.kinds = new Map([...builtinJobKinds(), ...(options.extraJobKinds ?? [])].map((k) => [k.kind, k]))
    this.projects.events.on('changed', (project) => this.emit({ type: 'project.changed', project }))
  }

  /** Validate the arguments against the API table, run the method, and turn any failure into ApiErrorData. */
  async dispatch(method: string, args: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorData }> {
    try {
      if (!Object.hasOwn(API, method)) throw new ApiError({ code: 'not-found', message: `unknown method "${method}"` })
      const name = method as MethodName
      const parsed = API[name].input.safeParse(args ?? {})
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const field = issue.path.join('.')
        throw new ApiError({ code: 'validation', field, message: `${method}: ${field || 'arguments'}: ${issue.message}` })
      }
      const handler = this.handlers[name] as Handler<typeof name>
      return { ok: true, result: await handler(parsed.data as never) }
    } catch (error) {
      if (error instanceof ApiError) return { ok: false, error: error.toData() }
      const err = error as Error
      return { ok: false, error: { code: 'internal', message: err?.message ?? String(error) } }
    }
  }

  /** Typed call for in-process users (CLI, tests). Throws ApiError on failure. */
  async call<M extends MethodName>(method: M, args: z.input<(typeof API)[M]['input']>): Promise<MethodOutput<M>> {
    const response = await this.dispatch(method, args)
    if (!response.ok) throw new ApiError(response.error)
    return response.result as MethodOutput<M>
  }

  async shutdown(): Promise<void> {
    for (const manager of this.managers.values()) manager.shutdown()
  }

  private emit(event: StudioEvent): void {
    this.events.emit('event', event)
  }

  private lastSamplesChanged = 0

  /** New samples stream in while a render job runs: tell the views at most once a second, and always at the end. */
  private samplesChanged(final: boolean): void {
    const now = Date.now()
    if (!final && now - this.lastSamplesChanged < 1000) return
    this.lastSamplesChanged = now
    this.emit({ type: 'samples.changed' })
  }

  /** Jobs whose stored predictions the views have been told about. */
  private readonly predictionsAnnounced = new Set<string>()

  /** Interpreter jobs: the Gallery shows predictions while they are written and once all are stored (scores.json artifact). */
  private predictionsChanged(job: JobInfo): void {
    if (job.artifacts.some((a) => a.endsWith('/predictions/scores.json')) && !this.predictionsAnnounced.has(job.id)) {
      this.predictionsAnnounced.add(job.id)
      this.samplesChanged(true)
    } else if (job.state === 'running' && job.message.startsWith('predicting')) {
      this.samplesChanged(false)
    }
  }

  private requireContext(): ProjectContext {
    this.projects.requireCurrent()
    if (!this.context) throw new ApiError({ code: 'no-project', message: 'no project is open: create or open one first' })
    return this.context
  }

  private async activate(dir: string): Promise<void> {
    if (this.context?.dir === dir) return
    this.context?.unsubscribe()
    let jobs = this.managers.get(dir)
    if (!jobs) {
      jobs = new JobManager(dir, this.kinds, this.host)
      await jobs.load()
      this.managers.set(dir, jobs)
    }
    const annotations = new AnnotationStore(dir)
    const offs = [
      jobs.events.on('updated', (job) => {
        this.emit({ type: 'job.updated', job })
        if (job.kind === 'render-samples' || job.kind === 'generate-samples') this.samplesChanged(job.state !== 'running')
        else if (job.kind === 'train-interpreter' || job.kind === 'predict-interpreter') this.predictionsChanged(job)
      }),
      jobs.events.on('removed', (id) => this.emit({ type: 'job.removed', id })),
      jobs.events.on('log', ({ jobId, line }) => this.emit({ type: 'job.log', jobId, line })),
      jobs.events.on('metrics', ({ jobId, point }) => this.emit({ type: 'job.metrics', jobId, point }))
    ]
    this.context = { dir, jobs, annotations, samples: new SampleStore(dir, annotations), unsubscribe: () => offs.forEach((off) => off()) }
  }

  /** What selection import and export need: the open project's stores and its current classes. */
  private selectionContext(): SelectionContext {
    const context = this.requireContext()
    return { projectDir: context.dir, samples: context.samples, annotations: context.annotations, classes: () => this.projects.requireCurrent().project.classes }
  }

  private readonly handlers: { [M in MethodName]: Handler<M> } = {
    'system.info': () => ({ version: this.options.version, mode: this.options.mode, platform: process.platform, projectsHome: projectsHome() }),

    'project.templates': () => [...PROJECT_TEMPLATES],
    'project.create': async (args) => {
      const info = await this.projects.create(args)
      await this.activate(info.dir)
      return info
    },
    'project.open': async ({ dir }) => {
      // A class removal a crash interrupted is finished before twinlight.json is read.
      await finishClassRemoval(resolve(dir))
      const info = await this.projects.open(dir)
      await this.activate(info.dir)
      return info
    },
    'project.close': () => {
      this.context?.unsubscribe()
      this.context = null
      this.projects.close()
      return null
    },
    'project.current': () => this.projects.current,
    'project.recent': () => this.projects.recent(),
    'project.update': async (patch) => {
      // Dropping classes that saved masks use would leave masks that no longer load.
      if (patch.classes) {
        const { dir, project } = this.projects.requireCurrent()
        const classes = patch.classes
        await this.requireContext().annotations.exclusive(() => checkClassesKept(dir, project.classes, classes))
      }
      return this.projects.update(patch)
    },

    // With the current interpreter predictions (status 'predicted', mask and uncertainty).
    'samples.list': async () => {
      const context = this.requireContext()
      const [samples, predictions] = await Promise.all([context.samples.list(), currentPredictions(context.dir, this.projects.requireCurrent().project)])
      return applyPredictions(samples, predictions)
    },
    'samples.get': async ({ id }) => {
      const context = this.requireContext()
      const [sample] = applyPredictions([await context.samples.get(id)], await currentPredictions(context.dir, this.projects.requireCurrent().project))
      return sample
    },
    'samples.generate': async (args) => {
      // The renderer's job or the ONNX generator's, with the project's settings (generatorService).
      const { kind, params } = await sampleJob(this.projects.requireCurrent(), args)
      return this.requireContext().jobs.start(kind, params)
    },
    'samples.detail': async ({ id }) => {
      const context = this.requireContext()
      const detail = await sampleDetail(context.dir, context.samples, id)
      const [sample] = applyPredictions([detail.sample], await currentPredictions(context.dir, this.projects.requireCurrent().project))
      return { ...detail, sample }
    },
    'samples.delete': async ({ ids }) => {
      const deleted = await this.requireContext().samples.delete(ids)
      this.emit({ type: 'samples.changed' })
      return { deleted }
    },

    'annotations.load': async ({ sampleId }) => {
      const { project } = this.projects.requireCurrent()
      const context = this.requireContext()
      const sample = await context.samples.readSampleFile(sampleId)
      return context.annotations.load(sampleId, project.classes, { width: sample.width, height: sample.height })
    },
    'annotations.save': async (args) => {
      const context = this.requireContext()
      const sample = await context.samples.readSampleFile(args.sampleId)
      const savedAt = await context.annotations.save({
        ...args,
        classes: () => this.projects.requireCurrent().project.classes,
        expectedSize: { width: sample.width, height: sample.height }
      })
      this.emit({ type: 'samples.changed' })
      return { savedAt }
    },
    'annotations.import': async ({ sampleId, format, bytes, tolerance, table }) => {
      const { project } = this.projects.requireCurrent()
      const sample = await this.requireContext().samples.readSampleFile(sampleId)
      return importMask({ format, bytes, tolerance, table, classes: project.classes, expectedSize: { width: sample.width, height: sample.height } })
    },
    'annotations.export': async ({ sampleId, format }) => {
      const { project } = this.projects.requireCurrent()
      const context = this.requireContext()
      const sample = await context.samples.readSampleFile(sampleId)
      const mask = await context.annotations.load(sampleId, project.classes, { width: sample.width, height: sample.height })
      if (!mask) throw new ApiError({ code: 'not-found', field: 'sampleId', message: `sample "${sampleId}" has no annotation yet: paint something first` })
      return exportMask({ sampleId, format, mask, classes: project.classes })
    },

    'annotations.exportSelection': (args) => exportSelection(this.selectionContext(), args),
    'annotations.importFiles': async ({ source, ...args }) => {
      const context = this.selectionContext()
      const files = source.kind === 'upload' ? source.files : await readMaskFolder(source.dir)
      const report = await importFiles(context, { ...args, files })
      if (!report.dryRun && report.imported > 0) this.emit({ type: 'samples.changed' })
      return report
    },
    'annotations.removeClass': async ({ classId, pixels }) => {
      const context = this.requireContext()
      // No save runs in between, so no mask is written with the old ids after the rewrite.
      const result = await context.annotations.exclusive(() =>
        removeClass({ projectDir: context.dir, project: this.projects.requireCurrent().project, classId, pixels })
      )
      const project = await this.projects.reload()
      this.emit({ type: 'samples.changed' })
      return { project, rewritten: result.rewritten, relabelled: result.relabelled }
    },

    'models.generators': () => describeGenerators(this.projects.requireCurrent()),
    'models.attachGenerator': (args) => attachGenerator(this.projects, args),
    'models.useGenerator': (args) => useGenerator(this.projects, args),
    'models.setExecutionProvider': ({ provider }) => setExecutionProvider(provider),

    'jobs.list': () => this.requireContext().jobs.list(),
    'jobs.start': ({ kind, params }) => this.requireContext().jobs.start(kind, params),
    'jobs.cancel': ({ id }) => this.requireContext().jobs.cancel(id),
    'jobs.resume': ({ id }) => this.requireContext().jobs.resume(id),
    'jobs.remove': async ({ id }) => {
      await this.requireContext().jobs.remove(id)
      return null
    },
    'jobs.log': ({ id }) => this.requireContext().jobs.log(id),
    'jobs.metrics': ({ id }) => this.requireContext().jobs.metrics(id),

    'compare.sources': ({ sampleIds }) => {
      const { project } = this.projects.requireCurrent()
      const context = this.requireContext()
      return compareSources(context.dir, project, context.samples, sampleIds)
    },
    'compare.labels': ({ path }) => loadProjectLabels(this.requireContext().dir, path),
    'compare.metrics': async (input) => {
      const { project } = this.projects.requireCurrent()
      const context = this.requireContext()
      // Refuse paths outside the project before any work starts (the worker checks again).
      for (const pair of input.pairs) for (const path of [pair.a, pair.b]) resolveInProject(context.dir, path)
      const numClasses = project.classes.length
      if (runsInline(input)) return { kind: 'report', report: await computeCompareReport(context.dir, input, { numClasses }) }
      return { kind: 'job', job: await context.jobs.start(COMPARE_JOB_KIND, { input, numClasses }) }
    },
    'compare.report': ({ jobId }) => readCompareReport(this.requireContext().dir, jobId),

    'interpreter.runs': () => {
      const context = this.requireContext()
      return listRuns(context.dir, context.jobs.list())
    },
    'interpreter.run': async ({ id }) => {
      const context = this.requireContext()
      const run = await readRun(context.dir, id, context.jobs.list())
      if (!run) throw new ApiError({ code: 'not-found', field: 'id', message: `no interpreter run "${id}"` })
      return run
    },
    'interpreter.predict': async (args) => {
      const { project } = this.projects.requireCurrent()
      const context = this.requireContext()
      // The stored prediction of the current run when there is one; otherwise computed in a worker.
      const set = await currentPredictions(context.dir, project)
      const stored = await readStoredPrediction(context.dir, set, args.sampleId, args.runId)
      if (stored) return { ...stored, sampleId: args.sampleId, uncertaintyMax: Math.log(Math.max(2, project.classes.length)) }
      return predictWithWorker(this.host, context.dir, args)
    },
    'interpreter.predictions': async () => (await currentPredictions(this.requireContext().dir, this.projects.requireCurrent().project))?.info ?? null,
    'interpreter.predictAll': async ({ runId }) => {
      const context = this.requireContext()
      const id = runId ?? (await latestModelRun(context.dir))
      if (!id) throw new ApiError({ code: 'not-found', field: 'runId', message: 'no trained interpreter yet: train one in the Train view first' })
      return context.jobs.start('predict-interpreter', { runId: id })
    },

    'datasets.list': () => listDatasets(this.requireContext().dir),
    'datasets.read': ({ name }) => readDataset(this.requireContext().dir, name),
    'datasets.record': ({ name, stem }) => readDatasetRecord(this.requireContext().dir, name, stem)
  }
}

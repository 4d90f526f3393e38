// Interpreter runs as the API reports them: runs/<id>/ folders written by trainRun.ts, with
// the job manager's state when the job is known, plus a one-shot prediction worker for
// model-in-the-loop (interpreter.predict) so that the main process never computes.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../../../shared/api'
import type { InterpreterEvalSummary, InterpreterPrediction, InterpreterRunInfo, InterpreterTrainSummary } from '../../../shared/interpreter'
import type { JobInfo } from '../../../shared/jobs'
import { WorkerToManagerSchema } from '../../../shared/jobs'
import type { WorkerHost } from '../jobs/workerHost'
import { workerEntry } from '../paths'
import { readPredictionScores } from './predictions'
import { EVAL_DIR, MODEL_DIR, ONNX_FILE, RUN_CONFIG, TRAIN_SUMMARY, type RunConfigFile } from './trainRun'

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch {
    return null
  }
}

export async function readRun(projectDir: string, id: string, jobs: readonly JobInfo[] = []): Promise<InterpreterRunInfo | null> {
  if (!RUN_ID.test(id)) return null
  const dir = join(projectDir, 'runs', id)
  const config = await readJson<RunConfigFile>(join(dir, RUN_CONFIG))
  const job = jobs.find((j) => j.id === id)
  if (!config && job?.kind !== 'train-interpreter') return null
  if (config && config.kind !== 'train-interpreter') return null
  const modelReady = existsSync(join(dir, MODEL_DIR, 'model.json'))
  const state: InterpreterRunInfo['state'] = job ? job.state : modelReady ? 'succeeded' : 'unknown'
  return {
    id,
    dir: `runs/${id}`,
    createdAt: config?.createdAt ?? job?.createdAt ?? '',
    state,
    config: config?.config ?? null,
    samples: config?.samples ?? [],
    classes: config?.classes.map((c) => ({ id: c.id, name: c.name })) ?? [],
    generatorSha256: config?.generator?.sha256 ?? null,
    modelReady,
    onnx: existsSync(join(dir, ONNX_FILE)) ? `runs/${id}/${ONNX_FILE.split('\\').join('/')}` : null,
    predictions: Object.keys((await readPredictionScores(dir))?.samples ?? {}).length,
    train: await readJson<InterpreterTrainSummary>(join(dir, TRAIN_SUMMARY)),
    eval: await readJson<InterpreterEvalSummary>(join(dir, EVAL_DIR, 'summary.json'))
  }
}

/** Every interpreter run of the project, newest first. */
export async function listRuns(projectDir: string, jobs: readonly JobInfo[] = []): Promise<InterpreterRunInfo[]> {
  let entries: string[] = []
  try {
    entries = await readdir(join(projectDir, 'runs'))
  } catch {
    return []
  }
  const runs: InterpreterRunInfo[] = []
  for (const id of entries) {
    const run = await readRun(projectDir, id, jobs)
    if (run) runs.push(run)
  }
  return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
}

/** The newest run with a usable model. */
export async function latestModelRun(projectDir: string): Promise<string | null> {
  const runs = await listRuns(projectDir)
  return runs.find((r) => r.modelReady)?.id ?? null
}

/**
 * Runs one worker entry outside the job manager (no job record) and resolves with what it
 * returns: the predict worker, which answers in a few seconds.
 */
export function runOneShotWorker<T>(host: WorkerHost, entry: string, projectDir: string, params: unknown, timeoutMs = 10 * 60_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const handle = host.spawn(entry, {})
    let stderr = ''
    let settled = false
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    const timer = setTimeout(() => {
      handle.kill()
      settle(() => reject(new ApiError({ code: 'internal', message: `the prediction worker did not answer within ${Math.round(timeoutMs / 1000)} s` })))
    }, timeoutMs)
    handle.onStderr((text) => {
      stderr = (stderr + text).slice(-2000)
    })
    handle.onMessage((raw) => {
      const parsed = WorkerToManagerSchema.safeParse(raw)
      if (!parsed.success) return
      const m = parsed.data
      if (m.type === 'done') settle(() => resolve(m.result as T))
      else if (m.type === 'error') settle(() => reject(new ApiError({ code: 'bad-input', message: m.message })))
      else if (m.type === 'cancelled') settle(() => reject(new ApiError({ code: 'internal', message: 'the prediction was cancelled' })))
    })
    handle.onExit((code, signal) => settle(() => reject(new ApiError({ code: 'internal', message: `the prediction worker exited (${signal ?? code})${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}` }))))
    handle.send({ type: 'start', jobId: `predict-${Date.now()}`, kind: 'interpreter-predict', params, projectDir, jobDir: join(projectDir, '.cache'), resume: false })
  })
}

export async function predictWithWorker(host: WorkerHost, projectDir: string, args: { sampleId: string; runId?: string }): Promise<InterpreterPrediction> {
  const runId = args.runId ?? (await latestModelRun(projectDir))
  if (!runId) throw new ApiError({ code: 'not-found', field: 'runId', message: 'no trained interpreter yet: train one in the Train view first' })
  if (!RUN_ID.test(runId) || !existsSync(join(projectDir, 'runs', runId, MODEL_DIR, 'model.json'))) {
    throw new ApiError({ code: 'not-found', field: 'runId', message: `run "${runId}" has no trained interpreter` })
  }
  return runOneShotWorker<InterpreterPrediction>(host, workerEntry('interpreterPredict'), projectDir, { runId, sampleId: args.sampleId })
}

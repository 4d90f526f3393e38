// Autosave policy for one open mask: save at most `maxWaitMs` after the first unsaved
// change and `debounceMs` after the last one, one save in flight at a time, and at once on
// flush() (sample switch, window blur, page hide, route leave). A failed save is retried
// with a back-off and reported; the document stays dirty until a save succeeds.
// Pure timing logic with injectable clocks, so it is tested without a DOM.

export type SaveState = 'saved' | 'unsaved' | 'saving' | 'error'

export interface AutosaverClock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface AutosaverOptions {
  /** Write the current document; resolve when it is safely stored (throw on failure). */
  save: () => Promise<void>
  /** True while the document differs from what was last stored. */
  isDirty: () => boolean
  onState?: (state: SaveState, error?: unknown) => void
  debounceMs?: number
  maxWaitMs?: number
  retryMs?: number
  clock?: AutosaverClock
}

const realClock: AutosaverClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>)
}

export class Autosaver {
  private readonly opts: Required<Omit<AutosaverOptions, 'onState'>> & Pick<AutosaverOptions, 'onState'>
  private timer: unknown = null
  private dueAt = Infinity
  private firstChangeAt: number | null = null
  private inFlight: Promise<void> | null = null
  private again = false
  private disposed = false
  private stateValue: SaveState = 'saved'
  private lastError: unknown = undefined
  /** Disabled autosaves still save on flush(); the benchmark turns the timer off. */
  enabled = true

  constructor(options: AutosaverOptions) {
    this.opts = { debounceMs: 400, maxWaitMs: 1000, retryMs: 2000, clock: realClock, ...options }
  }

  get state(): SaveState {
    return this.stateValue
  }

  get error(): unknown {
    return this.lastError
  }

  get saving(): boolean {
    return this.inFlight !== null
  }

  /** Tell the saver the document changed. */
  changed(): void {
    if (this.disposed) return
    const now = this.opts.clock.now()
    this.firstChangeAt ??= now
    if (!this.inFlight && this.stateValue !== 'error') this.setState('unsaved')
    if (!this.enabled) return
    const due = Math.min(now + this.opts.debounceMs, this.firstChangeAt + this.opts.maxWaitMs)
    this.schedule(due)
  }

  /** Save now if anything is unsaved; resolves when the document is stored (or the save failed). */
  flush(): Promise<void> {
    this.cancelTimer()
    return this.run()
  }

  dispose(): void {
    this.disposed = true
    this.cancelTimer()
  }

  private schedule(due: number): void {
    if (this.timer !== null && this.dueAt <= due) return
    this.cancelTimer()
    this.dueAt = due
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null
      this.dueAt = Infinity
      void this.run()
    }, Math.max(0, due - this.opts.clock.now()))
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.opts.clock.clearTimeout(this.timer)
    this.timer = null
    this.dueAt = Infinity
  }

  private async run(): Promise<void> {
    if (this.inFlight) {
      // Changes made while a save is in flight are saved right after it.
      this.again = true
      await this.inFlight
      if (this.inFlight) return this.inFlight
      return this.runIfDirty()
    }
    return this.runIfDirty()
  }

  private runIfDirty(): Promise<void> {
    if (!this.opts.isDirty()) {
      this.firstChangeAt = null
      if (this.stateValue !== 'saved') this.setState('saved')
      return Promise.resolve()
    }
    this.firstChangeAt = null
    this.again = false
    this.setState('saving')
    const attempt = (async () => {
      try {
        await this.opts.save()
        this.lastError = undefined
      } catch (error) {
        this.lastError = error
      }
    })()
    this.inFlight = attempt.then(() => {
      this.inFlight = null
      if (this.disposed) return
      if (this.lastError !== undefined) {
        this.setState('error', this.lastError)
        if (this.enabled) this.schedule(this.opts.clock.now() + this.opts.retryMs)
        return
      }
      if (this.opts.isDirty()) {
        this.setState('unsaved')
        this.firstChangeAt ??= this.opts.clock.now()
        if (this.again) return this.runIfDirty()
        if (this.enabled) this.schedule(Math.min(this.opts.clock.now() + this.opts.debounceMs, this.firstChangeAt + this.opts.maxWaitMs))
      } else {
        this.setState('saved')
      }
    })
    return this.inFlight
  }

  private setState(state: SaveState, error?: unknown): void {
    this.stateValue = state
    this.opts.onState?.(state, error)
  }
}

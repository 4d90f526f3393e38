// Progress for long CLI commands: a live bar with rate and ETA on a terminal, and a
// plain line every few seconds when output goes to a file or a CI log.
import cliProgress from 'cli-progress'

export interface Progress {
  update(done: number, total: number, note?: string): void
  stop(): void
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted} {note}`,
        stream,
        hideCursor: true,
        etaBuffer: 50,
        fps: 10
      },
      cliProgress.Presets.shades_classic
    )
    const start = Date.now()
    let started = false
    return {
      update(done, total, note = '') {
        const rate = ((done / Math.max(1e-3, (Date.now() - start) / 1000)) || 0).toFixed(1)
        if (!started) {
          bar.start(total, done, { rate, note })
          started = true
        } else bar.update(done, { rate, note })
      },
      stop: () => started && bar.stop()
    }
  }
  let last = 0
  return {
    update(done, total, note = '') {
      const now = Date.now()
      if (done < total && now - last < 5000) return
      last = now
      stream.write(`${label}: ${done}/${total} (${Math.round((done / Math.max(1, total)) * 100)}%) ${note}\n`)
    },
    stop: () => undefined
  }
}

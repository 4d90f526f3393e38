// Aggregation of per-item metric values and their display.
//
// Conventions:
//  - std is the POPULATION standard deviation (divide by n), as numpy's np.std default and
//    the LFW / KID reference code report it. sampleStd (divide by n − 1) is given too.
//  - +Infinity (PSNR of identical pairs) is a legitimate value: if any value is +Infinity
//    the mean is +Infinity and std is NaN (undefined), and `finite` holds the statistics of
//    the finite values alone so a UI can say e.g. "∞ (3 of 100 pairs identical; 31.2 dB
//    over the rest)". Likewise −Infinity; both present gives a NaN mean.
//  - NaN is an error unless ignoreNaN is set (then NaNs are counted in `nanCount` and left
//    out), because a NaN usually means an upstream bug.
import { MetricsError, check } from './errors'

export interface FiniteStats {
  n: number
  mean: number
  std: number
  min: number
  max: number
}

export interface Summary {
  /** Number of values used (excluding NaNs that were ignored). */
  n: number
  mean: number
  /** Population std (÷n). NaN when the mean is infinite. 0 for a single value. */
  std: number
  /** Sample std (÷(n−1)). NaN when n < 2 or the mean is infinite. */
  sampleStd: number
  min: number
  max: number
  posInfCount: number
  negInfCount: number
  nanCount: number
  /** Statistics of the finite values only; n = 0 (and NaN fields) when there are none. */
  finite: FiniteStats
}

export interface SummarizeOptions {
  /** Leave NaN values out instead of throwing. */
  ignoreNaN?: boolean
}

function finiteStats(values: number[]): FiniteStats {
  const n = values.length
  if (n === 0) return { n: 0, mean: NaN, std: NaN, min: NaN, max: NaN }
  let sum = 0
  let min = Infinity
  let max = -Infinity
  for (const v of values) {
    sum += v
    if (v < min) min = v
    if (v > max) max = v
  }
  const mean = sum / n
  let ss = 0
  for (const v of values) ss += (v - mean) * (v - mean)
  return { n, mean, std: Math.sqrt(ss / n), min, max }
}

export function summarize(values: ArrayLike<number>, opts: SummarizeOptions = {}): Summary {
  check(values.length > 0, 'summarize: no values (empty set)')
  const finite: number[] = []
  let posInf = 0
  let negInf = 0
  let nan = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (typeof v !== 'number') throw new MetricsError(`summarize: value ${i} is not a number`)
    if (Number.isNaN(v)) {
      if (!opts.ignoreNaN) throw new MetricsError(`summarize: value ${i} is NaN (pass ignoreNaN to leave NaNs out)`)
      nan++
    } else if (v === Infinity) posInf++
    else if (v === -Infinity) negInf++
    else finite.push(v)
  }
  const fs = finiteStats(finite)
  const n = finite.length + posInf + negInf
  check(n > 0, 'summarize: every value is NaN')
  let mean: number
  let std: number
  let sampleStd: number
  if (posInf > 0 && negInf > 0) {
    mean = NaN
    std = NaN
    sampleStd = NaN
  } else if (posInf > 0 || negInf > 0) {
    mean = posInf > 0 ? Infinity : -Infinity
    std = NaN
    sampleStd = NaN
  } else {
    mean = fs.mean
    std = fs.std
    sampleStd = n > 1 ? Math.sqrt((fs.std * fs.std * n) / (n - 1)) : NaN
  }
  return {
    n,
    mean,
    std,
    sampleStd,
    min: negInf > 0 ? -Infinity : fs.n > 0 ? fs.min : Infinity,
    max: posInf > 0 ? Infinity : fs.n > 0 ? fs.max : -Infinity,
    posInfCount: posInf,
    negInfCount: negInf,
    nanCount: nan,
    finite: fs
  }
}

/** A number for display: "∞" / "−∞" for infinities, "—" for NaN, else fixed digits. */
export function formatMetric(value: number, digits = 4): string {
  if (value === Infinity) return '∞'
  if (value === -Infinity) return '−∞'
  if (Number.isNaN(value)) return '—'
  return value.toFixed(digits)
}

/** "mean ± std", or just "∞" when the mean is infinite. */
export function formatSummary(s: Pick<Summary, 'mean' | 'std'>, digits = 4): string {
  if (!Number.isFinite(s.mean)) return formatMetric(s.mean, digits)
  return `${formatMetric(s.mean, digits)} ± ${formatMetric(s.std, digits)}`
}

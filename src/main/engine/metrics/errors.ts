// Errors raised by the metrics library. Every check on caller input throws a MetricsError
// whose message names what was wrong in words a person can act on, e.g.
// "pred is 128×128×3, gt is 256×256×3".

export class MetricsError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MetricsError'
  }
}

/** Throws a MetricsError when `cond` is false. */
export function check(cond: boolean, message: string | (() => string)): asserts cond {
  if (!cond) throw new MetricsError(typeof message === 'string' ? message : message())
}

/** Throws unless both sets have the same, non-zero number of entries. */
export function checkPairedSets(what: string, aName: string, a: number, bName: string, b: number): void {
  check(a > 0 || b > 0, `${what}: both sets are empty`)
  check(a === b, `${what}: ${aName} has ${a} entries but ${bName} has ${b}; the sets must be the same size`)
}

/** Throws unless every vector has the given length. */
export function checkDims(what: string, vectors: ArrayLike<number>[], dims: number, setName = 'set'): void {
  for (let i = 0; i < vectors.length; i++) {
    const len = vectors[i].length
    check(len === dims, () => `${what}: ${setName}[${i}] has ${len} dimensions, expected ${dims} (all embeddings must have the same dimension)`)
  }
}

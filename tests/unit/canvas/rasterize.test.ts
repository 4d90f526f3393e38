import { describe, it, expect } from 'vitest'
import { PaintEngine, sweepBrush, polygonSpans, stampOrigin, type BrushShape } from '../../../src/renderer/src/canvas'
import { picture, prng, key } from './helpers'

function stamp(shape: BrushShape, d: number, x: number, y: number, size = 12): PaintEngine {
  const e = new PaintEngine(size, size)
  e.beginStroke({ kind: 'brush', classId: 1, diameter: d, shape }, x, y)
  e.endStroke()
  return e
}

function sweepSet(shape: BrushShape, d: number, ax: number, ay: number, bx: number, by: number, w: number, h: number): Set<string> {
  const s = new Set<string>()
  let overlaps = 0
  sweepBrush(shape, d, ax, ay, bx, by, w, h, (y, x0, x1) => {
    for (let x = x0; x <= x1; x++) {
      if (s.has(key(x, y))) overlaps++
      s.add(key(x, y))
    }
  })
  expect(overlaps).toBe(0) // one span per row, never overlapping
  return s
}

describe('brush stamps', () => {
  it('round stamps have the documented exact shapes', () => {
    // Pointer inside pixel (6, 6): odd diameters centre on that pixel, even ones on the
    // nearest pixel corner (here (6, 7)).
    expect(picture(stamp('round', 1, 6.2, 6.7)).slice(5, 8)).toEqual(['............', '......1.....', '............'])
    expect(picture(stamp('round', 2, 6.2, 6.7)).slice(5, 9)).toEqual(['............', '.....11.....', '.....11.....', '............'])
    expect(picture(stamp('round', 3, 6.2, 6.7)).slice(4, 9)).toEqual(['............', '.....111....', '.....111....', '.....111....', '............'])
    expect(picture(stamp('round', 4, 6.2, 6.7)).slice(4, 10)).toEqual([
      '............',
      '.....11.....',
      '....1111....',
      '....1111....',
      '.....11.....',
      '............'
    ])
    expect(picture(stamp('round', 5, 6.2, 6.7)).slice(3, 10)).toEqual([
      '............',
      '.....111....',
      '....11111...',
      '....11111...',
      '....11111...',
      '.....111....',
      '............'
    ])
  })

  it('square stamps are exactly d×d starting at floor(x − (d − 1)/2)', () => {
    for (let d = 1; d <= 8; d++) {
      for (const [x, y] of [[6.2, 6.7], [6.5, 6.5], [6.9, 5.01]]) {
        const e = stamp('square', d, x, y, 20)
        const ox = stampOrigin(x, d)
        const oy = stampOrigin(y, d)
        expect(e.counts()[1]).toBe(d * d)
        for (let py = oy; py < oy + d; py++) for (let px = ox; px < ox + d; px++) expect(e.labelAt(px, py)).toBe(1)
      }
    }
  })

  it('round stamps equal the closed disc of diameter d at pixel centres, with no boundary ties', () => {
    for (let d = 1; d <= 64; d++) {
      const ox = stampOrigin(40.3, d)
      const c = ox + d / 2
      const s = sweepSet('round', d, 40.3, 40.3, 40.3, 40.3, 100, 100)
      let n = 0
      let ties = 0
      let wrong = 0
      for (let y = 0; y < 100; y++) {
        for (let x = 0; x < 100; x++) {
          const dist2 = (x + 0.5 - c) ** 2 + (y + 0.5 - c) ** 2
          if (dist2 === (d / 2) ** 2) ties++
          const expected = dist2 <= (d / 2) ** 2
          if (s.has(key(x, y)) !== expected) wrong++
          if (expected) n++
        }
      }
      expect([d, ties, wrong]).toEqual([d, 0, 0])
      expect(s.size).toBe(n)
      if (d >= 16) expect(Math.abs(n - (Math.PI * d * d) / 4) / n).toBeLessThan(0.05)
    }
  })

  it('refuses diameters outside 1–512', () => {
    const e = new PaintEngine(8, 8)
    expect(() => e.beginStroke({ kind: 'brush', classId: 1, diameter: 0, shape: 'round' }, 1, 1)).toThrow(/1 to 512/)
    expect(() => e.beginStroke({ kind: 'brush', classId: 1, diameter: 513, shape: 'round' }, 1, 1)).toThrow(/1 to 512/)
    expect(() => e.beginStroke({ kind: 'brush', classId: 1, diameter: 2.5, shape: 'round' }, 1, 1)).toThrow(/1 to 512/)
  })

  it('clips stamps at the map edges', () => {
    const e = stamp('square', 5, 0.5, 0.5, 10)
    expect(e.counts()[1]).toBe(9)
    const f = stamp('round', 512, 5, 5, 10)
    expect(f.counts()[1]).toBe(100)
  })
})

describe('brush sweeps (interpolation)', () => {
  it('a fast 1 px stroke paints every pixel of the line (no gaps)', () => {
    const rnd = prng(7)
    for (let k = 0; k < 50; k++) {
      const ax = Math.floor(rnd() * 200)
      const ay = Math.floor(rnd() * 200)
      const bx = Math.floor(rnd() * 200)
      const by = Math.floor(rnd() * 200)
      for (const shape of ['round', 'square'] as const) {
        const s = sweepSet(shape, 1, ax + 0.5, ay + 0.5, bx + 0.5, by + 0.5, 200, 200)
        // Every pixel a DDA line visits along the major axis is painted.
        const n = Math.max(Math.abs(bx - ax), Math.abs(by - ay))
        const missing: string[] = []
        for (let i = 0; i <= n; i++) {
          const t = n === 0 ? 0 : i / n
          const x = ax + t * (bx - ax)
          const y = ay + t * (by - ay)
          const px = Math.abs(bx - ax) >= Math.abs(by - ay) ? Math.round(x) : Math.floor(x + 0.5)
          const py = Math.abs(bx - ax) >= Math.abs(by - ay) ? Math.floor(y + 0.5) : Math.round(y)
          if (!s.has(key(px, py))) missing.push(key(px, py))
        }
        expect(missing).toEqual([])
        // And it stays thin: at most two pixels per step along the major axis.
        expect(s.size).toBeLessThanOrEqual(2 * (n + 1))
      }
    }
  })

  it('a fast wide stroke covers every pixel that contains a point of the segment', () => {
    const rnd = prng(11)
    for (let k = 0; k < 40; k++) {
      const d = 2 + Math.floor(rnd() * 20)
      const [ax, ay, bx, by] = [rnd() * 300, rnd() * 300, rnd() * 300, rnd() * 300]
      for (const shape of ['round', 'square'] as const) {
        const s = sweepSet(shape, d, ax, ay, bx, by, 300, 300)
        // Sample the segment between the two stamp centres.
        const cax = stampOrigin(ax, d) + d / 2
        const cay = stampOrigin(ay, d) + d / 2
        const cbx = stampOrigin(bx, d) + d / 2
        const cby = stampOrigin(by, d) + d / 2
        const steps = Math.ceil(Math.hypot(cbx - cax, cby - cay) * 4) + 1
        const missing: string[] = []
        for (let i = 0; i <= steps; i++) {
          const x = cax + ((cbx - cax) * i) / steps
          const y = cay + ((cby - cay) * i) / steps
          const p = key(Math.min(299, Math.floor(x)), Math.min(299, Math.floor(y)))
          if (!s.has(p)) missing.push(p)
        }
        expect(missing).toEqual([])
      }
    }
  })

  it('a sweep equals the union of stamps densely spaced along it, and starts and ends with exact stamps', () => {
    const rnd = prng(3)
    for (let k = 0; k < 30; k++) {
      const d = 1 + Math.floor(rnd() * 12)
      const [ax, ay, bx, by] = [20 + rnd() * 60, 20 + rnd() * 60, 20 + rnd() * 60, 20 + rnd() * 60]
      for (const shape of ['round', 'square'] as const) {
        const s = sweepSet(shape, d, ax, ay, bx, by, 100, 100)
        const a = sweepSet(shape, d, ax, ay, ax, ay, 100, 100)
        const b = sweepSet(shape, d, bx, by, bx, by, 100, 100)
        expect([...a, ...b].filter((p) => !s.has(p))).toEqual([])
        // Every painted pixel centre is within the brush of some point on the centre segment.
        const cax = stampOrigin(ax, d) + d / 2
        const cay = stampOrigin(ay, d) + d / 2
        const cbx = stampOrigin(bx, d) + d / 2
        const cby = stampOrigin(by, d) + d / 2
        let far = 0
        for (const p of s) {
          const [px, py] = p.split(',').map(Number)
          const x = px + 0.5
          const y = py + 0.5
          const dx = cbx - cax
          const dy = cby - cay
          const len2 = dx * dx + dy * dy
          let best = Infinity
          if (shape === 'round') {
            const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - cax) * dx + (y - cay) * dy) / len2))
            best = Math.hypot(x - cax - t * dx, y - cay - t * dy)
            if (best > d / 2 + 1e-9) far++
          } else {
            // Chebyshev distance to the segment: minimise over t analytically at the
            // breakpoints of max(|x − cx(t)|, |y − cy(t)|).
            const ts = [0, 1]
            if (dx !== 0) ts.push((x - cax) / dx)
            if (dy !== 0) ts.push((y - cay) / dy)
            if (dx + dy !== 0) ts.push((x - cax + y - cay) / (dx + dy))
            if (dx - dy !== 0) ts.push((x - cax - (y - cay)) / (dx - dy))
            for (const t0 of ts) {
              const t = Math.max(0, Math.min(1, t0))
              best = Math.min(best, Math.max(Math.abs(x - cax - t * dx), Math.abs(y - cay - t * dy)))
            }
            if (!(best < d / 2 + 1e-9)) far++
          }
        }
        expect(far).toBe(0)
      }
    }
  })
})

describe('polygon scanlines', () => {
  function polySet(xy: number[], rule: 'evenodd' | 'nonzero', w = 100, h = 100): Set<string> {
    const s = new Set<string>()
    polygonSpans(xy, rule, w, h, (y, x0, x1) => {
      for (let x = x0; x <= x1; x++) s.add(key(x, y))
    })
    return s
  }

  it("fills a triangle with about its area, exactly the pixels whose centres are inside", () => {
    const tri = [10.3, 5.7, 90.1, 20.2, 30.6, 85.9]
    const s = polySet(tri, 'nonzero')
    const area = Math.abs((tri[2] - tri[0]) * (tri[5] - tri[1]) - (tri[4] - tri[0]) * (tri[3] - tri[1])) / 2
    expect(Math.abs(s.size - area) / area).toBeLessThan(0.02)
    const side = (ax: number, ay: number, bx: number, by: number, x: number, y: number): number => (bx - ax) * (y - ay) - (by - ay) * (x - ax)
    const wrong: string[] = []
    for (let y = 0; y < 100; y++) {
      for (let x = 0; x < 100; x++) {
        const cx = x + 0.5
        const cy = y + 0.5
        const s1 = side(tri[0], tri[1], tri[2], tri[3], cx, cy)
        const s2 = side(tri[2], tri[3], tri[4], tri[5], cx, cy)
        const s3 = side(tri[4], tri[5], tri[0], tri[1], cx, cy)
        const strictly = (s1 > 1e-9 && s2 > 1e-9 && s3 > 1e-9) || (s1 < -1e-9 && s2 < -1e-9 && s3 < -1e-9)
        const outside = (s1 > 1e-9 || s2 > 1e-9 || s3 > 1e-9) && (s1 < -1e-9 || s2 < -1e-9 || s3 < -1e-9)
        if ((strictly && !s.has(key(x, y))) || (outside && s.has(key(x, y)))) wrong.push(key(x, y))
      }
    }
    expect(wrong).toEqual([])
  })

  it('an axis-aligned rectangle on pixel corners covers exactly its pixels', () => {
    expect(polySet([2, 3, 7, 3, 7, 9, 2, 9], 'nonzero').size).toBe(30)
    expect(polySet([2, 3, 2, 9, 7, 9, 7, 3], 'evenodd').size).toBe(30) // either orientation
  })

  it('polygons sharing an edge neither overlap nor leave a gap', () => {
    const a = polySet([5, 5, 60, 12, 30, 70], 'nonzero')
    const b = polySet([60, 12, 30, 70, 90, 80], 'nonzero')
    const whole = polySet([5, 5, 60, 12, 90, 80, 30, 70], 'nonzero')
    expect([...a].filter((p) => b.has(p))).toEqual([])
    expect(a.size + b.size).toBe(whole.size)
  })

  it('a pentagram is filled in the middle by nonzero and hollow by even-odd', () => {
    const star: number[] = []
    for (let i = 0; i < 5; i++) {
      const t = -Math.PI / 2 + (i * 4 * Math.PI) / 5
      star.push(50 + 45 * Math.cos(t), 50 + 45 * Math.sin(t))
    }
    expect(polySet(star, 'nonzero').has(key(50, 50))).toBe(true)
    expect(polySet(star, 'evenodd').has(key(50, 50))).toBe(false)
    expect(polySet(star, 'evenodd').has(key(50, 15))).toBe(true)
  })

  it('ignores degenerate polygons and clips to the map', () => {
    expect(polySet([1, 1, 5, 5], 'nonzero').size).toBe(0)
    expect(polySet([-50, -50, 150, -50, 150, 150, -50, 150], 'nonzero').size).toBe(100 * 100)
    expect(() => polySet([0, 0, NaN, 1, 3, 3], 'nonzero')).toThrow(/finite/)
  })
})

// Unlabelled pixels (255) never take part: not in any epoch's order, not in the loss, not in the
// gradient – whatever their features are. Partial scribbles train.
import { describe, it, expect, beforeAll } from 'vitest'
import { FeatureBank } from '../../../src/main/engine/interpreter/features'
import { bankImageMaps } from '../../../src/main/engine/interpreter/evaluate'
import { InterpreterTrainer } from '../../../src/main/engine/interpreter/trainer'
import type { TfInit } from '../../../src/main/engine/tf/backend'
import { syntheticBank, tf as initTf, tinyLayout } from './helpers'

let init: TfInit
beforeAll(async () => {
  init = await initTf()
})

/** Keep a band of rows labelled, everything else 255 (a scribble). */
function scribble(_id: string, labels: Uint8Array): void {
  const W = 20
  for (let p = 0; p < labels.length; p++) {
    const y = Math.floor(p / W)
    const x = p % W
    if (!(y >= 5 && y <= 8 && x >= 2 && x <= 15)) labels[p] = 255
  }
}

const config = (batchSize: number, sampling: 'uniform' | 'class-balanced' = 'uniform') => ({ ensembleSize: 2, learningRate: 1e-3, batchSize, stop: { kind: 'epochs' as const, epochs: 1 }, sampling, seed: 2 })

describe('ignore index 255', () => {
  it('leaves unlabelled pixels out of every epoch, uniform and class-balanced', async () => {
    const { bank } = await syntheticBank(tinyLayout(), 3, { unlabel: scribble })
    const HW = 16 * 20
    for (const sampling of ['uniform', 'class-balanced'] as const) {
      const t = new InterpreterTrainer(init.tf, bank, 3, config(64, sampling))
      expect(t.labelledPixels).toBe(3 * 4 * 14)
      for (let epoch = 0; epoch < 3; epoch++) {
        for (const g of t.epochOrder(epoch)) expect(bank.images[Math.floor(g / HW)].labels[g % HW]).not.toBe(255)
      }
      await t.dispose()
    }
  })

  it('gives the same loss and gradient whatever the unlabelled pixels hold', async () => {
    const layout = tinyLayout()
    const { bank } = await syntheticBank(layout, 2, { unlabel: scribble })
    // Same masks; different full-resolution features at every unlabelled pixel, plus a third
    // sample with no label at all.
    const other = new FeatureBank(layout)
    for (const im of bank.images) {
      const maps = bankImageMaps(bank, im)
      for (const i of [4, 5]) {
        const m = layout.maps[i]
        for (let c = 0; c < m.channels; c++) for (let p = 0; p < 320; p++) if (im.labels[p] === 255) maps[i][c * 320 + p] = 100 * Math.sin(p + c)
      }
      other.add(im.id, maps, im.labels)
    }
    other.add('blank', bankImageMaps(bank, bank.images[0]), new Uint8Array(320).fill(255))
    const a = new InterpreterTrainer(init.tf, bank, 3, config(4096), { strategy: 'pixel' })
    const b = new InterpreterTrainer(init.tf, other, 3, config(4096), { strategy: 'pixel' })
    expect(a.labelledPixels).toBe(b.labelledPixels)
    const batch = a.firstBatch()
    const ga = await a.gradients(batch)
    const gb = await b.gradients(batch)
    expect(gb.loss).toEqual(ga.loss)
    for (const name of Object.keys(ga.grads) as (keyof typeof ga.grads)[]) expect(Array.from(gb.grads[name]), name).toEqual(Array.from(ga.grads[name]))
    await a.dispose()
    await b.dispose()
  })

  it('refuses to train on an unlabelled pixel', async () => {
    const { bank } = await syntheticBank(tinyLayout(), 1, { unlabel: scribble })
    const t = new InterpreterTrainer(init.tf, bank, 3, config(64))
    await expect(t.gradients(Int32Array.of(0))).rejects.toThrow(/unlabelled/)
    await t.dispose()
  })

  it('learns from partial scribbles', async () => {
    const { bank } = await syntheticBank(tinyLayout(), 3, { unlabel: scribble })
    const t = new InterpreterTrainer(init.tf, bank, 3, { ...config(56), learningRate: 1e-2, stop: { kind: 'epochs', epochs: 8 } })
    const first = await t.step()
    let last = first
    while (!t.done) last = await t.step()
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length
    expect(mean(last.loss)).toBeLessThan(mean(first.loss))
    await t.dispose()
  })
})

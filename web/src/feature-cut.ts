/**
 * A functional test of DenseNet feature reuse (Huang et al. 2017 §5: "features extracted by very
 * early layers are, indeed, directly used by deep layers throughout the same dense block"): cut
 * every long dense connection — inside each dense block, layer ℓ keeps only its immediate
 * predecessor x_{ℓ−1} and loses x_0 … x_{ℓ−2} — and see what the held-out images' predictions
 * lose. If the deep layers did not use early features, the cut would change nothing; the same cut
 * at initialisation is the baseline. The weights are restored bit for bit afterwards.
 */
import { skipBlocks } from '../../src/analysis/model-parts.js';
import { DenseBlock } from '../../src/blocks/dense.js';
import { correctPerImage, type LabRun } from './lab-run.js';

/** Run `fn` with each dense layer's weights on its non-immediate sources set to zero. */
export function withLongDenseConnectionsCut<T>(run: LabRun, fn: () => T): T {
  const slices: { weight: Float32Array; saved: Float32Array }[] = [];
  for (const { module } of skipBlocks(run.model)) {
    if (!(module instanceof DenseBlock) || module.skipKind === 'none') continue;
    module.layers.forEach((layer, i) => {
      const w = layer.conv1.weight; // (O, I, kh, kw)
      const [out, inChannels] = [w.shape[0]!, w.shape[1]!];
      const spatial = w.size / (out * inChannels);
      for (const source of module.inputSources(i + 1)) {
        if (source.source >= i) continue; // x_{ℓ−1}, the layer's immediate predecessor, stays
        for (let o = 0; o < out; o++) {
          const from = (o * inChannels + source.start) * spatial;
          const to = (o * inChannels + source.end) * spatial;
          slices.push({ weight: w.f32.subarray(from, to), saved: w.f32.slice(from, to) });
        }
      }
    });
  }
  if (slices.length === 0) throw new Error('withLongDenseConnectionsCut: the model has no dense block with long connections');
  try {
    for (const s of slices) s.weight.fill(0);
    return fn();
  } finally {
    for (const s of slices) s.weight.set(s.saved);
  }
}

/** Per held-out image, whether the model is right with every connection and with the long ones cut. */
export function denseCutTest(run: LabRun): { correct: number[]; correctCut: number[] } {
  const correct = correctPerImage(run);
  const correctCut = withLongDenseConnectionsCut(run, () => correctPerImage(run));
  return { correct, correctCut };
}

import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/no-grad.js';
import { flatten } from '../../src/autograd/functions/reshape.js';
import { ZeroPadShortcut } from '../../src/blocks/shortcuts.js';
import { convBatchNorm } from '../../src/nn/layers/conv-batch-norm.js';
import { classificationError, lesionableBlocks, lesionEachBlock, lesionRandomBlocks, withLesions } from '../../src/analysis/lesion.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn } from '../../src/tensor/tensor.js';
import { modelState } from '../helpers/model-state.js';

const x = randn([6, 1, 8, 8], { rng: new Rng(5) });
const batches = [{ x, y: intTensor([0, 1, 2, 0, 1, 2]) }];
const build = (options: { skip?: 'identity' | 'none'; zeroInitResidual?: boolean }) =>
  resnetCifar({ depth: 14, inChannels: 1, numClasses: 3, baseWidth: 4, rng: new Rng(7), ...options }).eval();
const logits = (m: ReturnType<typeof build>) => noGrad(() => m.forward(x).toFloat32Array());

describe('lesion', () => {
  it('deleting a zero-initialised residual branch changes nothing (output = shortcut(x))', () => {
    const model = build({ zeroInitResidual: true });
    const reference = logits(model);
    const blocks = lesionableBlocks(model, x);
    expect(blocks).toEqual(['layer1.0', 'layer1.1', 'layer2.1', 'layer3.1']);
    for (const b of blocks) expect(withLesions(model, [b], () => logits(model))).toEqual(reference);
    expect(withLesions(model, blocks, () => logits(model))).toEqual(reference);
    const { baseline, lesions } = lesionEachBlock(model, batches);
    for (const l of lesions) expect(l.error).toBe(baseline);
  });

  it('deletes only blocks that keep their input\'s shape: the downsampling blocks are excluded (Veit et al. 2016 §4)', () => {
    // The residual net's downsampling blocks can be deleted (their zero-pad shortcut has the output's shape), yet are never chosen.
    const model = build({});
    expect(withLesions(model, ['layer2.0'], () => logits(model))).toHaveLength(6 * 3);
    const single = lesionEachBlock(model, batches);
    expect(single.lesions.map((l) => [l.block, l.index])).toEqual([['layer1.0', 0], ['layer1.1', 1], ['layer2.1', 3], ['layer3.1', 5]]);
    expect(single.excluded).toEqual(['layer2.0', 'layer3.0']);
    const random = lesionRandomBlocks(model, batches, { rng: new Rng(2), trials: 1 });
    expect(random.candidates).toEqual(['layer1.0', 'layer1.1', 'layer2.1', 'layer3.1']);
    expect(random.results.map((r) => r.deleted)).toEqual([1, 2, 3, 4]);
  });

  it('deleting a trained-looking (random) branch changes the output, and the model is intact afterwards', () => {
    const model = build({});
    const reference = logits(model);
    const before = modelState(model);
    expect(withLesions(model, ['layer1.1'], () => logits(model))).not.toEqual(reference);
    lesionEachBlock(model, batches);
    expect(modelState(model)).toEqual(before);
    expect(logits(model)).toEqual(reference);
  });

  it('a deleted block outputs relu(shortcut(x)): deleting stage 2 leaves its zero-padded input', () => {
    const model = build({});
    const lesioned = withLesions(model, ['layer2.0', 'layer2.1'], () => logits(model));
    // Stage 2 sees x ≥ 0 (after a ReLU), so relu(zeroPad(x)) then relu(identity) is zeroPad(x).
    const manual = noGrad(() => {
      let h = model.layer1.forward(convBatchNorm(model.conv1, model.bn1!, x, true)); // (N, 4, 8, 8), as forward computes it
      h = model.layer3.forward(new ZeroPadShortcut(4, 8, 2).forward(h)); // (N, 16, 2, 2)
      return model.fc.forward(flatten(model.avgpool.forward(h))).toFloat32Array();
    });
    expect(lesioned).toEqual(manual);
    expect(lesioned).not.toEqual(logits(model));
  });

  it('bypasses only the shape-keeping blocks of a plain twin', () => {
    const plain = build({ skip: 'none' });
    expect(lesionableBlocks(plain, x)).toEqual(['layer1.0', 'layer1.1', 'layer2.1', 'layer3.1']);
    expect(() => withLesions(plain, ['layer2.0'], () => logits(plain))).toThrow(/cannot be bypassed/);
    expect(() => withLesions(plain, ['fc'], () => 0)).toThrow(/not a skip block/);
  });

  it('deletes k random blocks for k = 1..n with seeded draws', () => {
    const model = build({ zeroInitResidual: true });
    const result = lesionRandomBlocks(model, batches, { rng: new Rng(1), trials: 2 });
    expect(result.results.map((r) => r.deleted)).toEqual([1, 2, 3, 4]);
    for (const r of result.results) expect(r.meanError).toBe(classificationError(model, batches));
  });
});

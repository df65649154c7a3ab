import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/no-grad.js';
import { lesionableBlocks, withLesions } from '../../src/analysis/lesion.js';
import { loadSafetensorsWithMetadata } from '../../src/io/safetensors.js';
import { modelWithWeights } from '../../src/io/weights.js';
import type { ModelOptions } from '../../src/models/registry.js';
import { maxRelativeError } from '../helpers/backends.js';

/**
 * Weights trained in PyTorch, analysed with no training step: a CIFAR ResNet-14 trained a few
 * steps by scripts/fixtures/make_trained_resnet_fixture.py (torchvision's names, option-B
 * projections), loaded by name, and lesioned block by block. Every logit must match PyTorch's
 * (computed in float64 from the same float32 weights) within 1e-4, the full model's and each
 * lesioned model's alike.
 */
const dir = fileURLToPath(new URL('../fixtures/trained-resnet/', import.meta.url));

describe('analysing a PyTorch-trained state dict', () => {
  it('matches PyTorch on the logits of the full model and with each residual branch removed', async () => {
    const { tensors: expected, metadata } = await loadSafetensorsWithMetadata(`${dir}expected.safetensors`);
    const recipe = JSON.parse(metadata!['skiplab']!) as { model: string; options: ModelOptions };
    const { model, source } = await modelWithWeights(recipe.model, `${dir}resnet14.safetensors`, recipe.options);
    expect(source).toMatchObject({ format: 'state-dict', strippedPrefix: '', tensors: Object.keys(model.stateDict()).length });
    expect(source.metadata).toMatchObject({ format: 'pt' });
    const x = expected['input']!;
    const logits = (): Float32Array => noGrad(() => model.forward(x)).f32;
    const error = (actual: Float32Array, name: string): number => maxRelativeError(actual, expected[name]!.f32);
    expect(error(logits(), 'logits')).toBeLessThan(1e-4);

    // The lesion study deletes only the shape-keeping blocks; the surgery itself is checked on every block, downsampling ones too.
    expect(lesionableBlocks(model, x)).toEqual(['layer1.0', 'layer1.1', 'layer2.1', 'layer3.1']);
    for (const block of ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1']) {
      const lesioned = withLesions(model, [block], logits);
      expect(error(lesioned, `lesion.${block}`), block).toBeLessThan(1e-4);
      // A real change, far above the tolerance: the comparison can fail.
      expect(maxRelativeError(lesioned, expected['logits']!.f32), block).toBeGreaterThan(1e-2);
    }
  });
});

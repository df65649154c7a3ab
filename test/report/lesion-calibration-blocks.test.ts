import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lesionableBlocks } from '../../src/analysis/lesion.js';
import { skipBlocks } from '../../src/analysis/model-parts.js';
import { lesionCalibrationSchema } from '../../src/experiments/results/pytorch-calibration.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

/**
 * scripts/calibration/lesion_standard.py's lesion of tiny nets (test/fixtures/lesion-calibration)
 * against skiplab's own: the same blocks under the same names (torchvision's `layer2.1`), the same
 * ones deleted and the same downsampling ones excluded, for the ResNet and its plain twin.
 */
const path = fileURLToPath(new URL('../fixtures/lesion-calibration/tiny.torch.json', import.meta.url));
const calibration = lesionCalibrationSchema.parse(JSON.parse(readFileSync(path, 'utf8')));

describe('the PyTorch lesion calibration deletes what skiplab deletes', () => {
  it('has the same block names, deleted blocks and excluded blocks at depths 8 and 20, both twins', () => {
    expect(calibration.runs.map((r) => `${r.skip}-${r.depth}`).sort()).toEqual(['identity-20', 'identity-8', 'none-20', 'none-8']);
    const probe = randn([2, 1, 28, 28], { rng: new Rng(1) });
    for (const run of calibration.runs) {
      const model = resnetCifar({ depth: run.depth, skip: run.skip, baseWidth: calibration.recipe.baseWidth, inChannels: 1, numClasses: 10, rng: new Rng(0) }).eval();
      const deleted = lesionableBlocks(model, probe);
      const all = skipBlocks(model).map((b) => b.path);
      expect(run.single!.map((s) => s.block), `${run.skip}-${run.depth}`).toEqual(deleted);
      expect(run.excluded, `${run.skip}-${run.depth}`).toEqual(all.filter((p) => !deleted.includes(p)));
      expect(run.excluded).toEqual(['layer2.0', 'layer3.0']);
      expect(run.single).toHaveLength((run.depth - 2) / 2 - 2);
    }
  });
});

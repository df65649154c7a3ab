import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/no-grad.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import { createModel } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'skiplab-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('model weights through safetensors', () => {
  for (const name of ['resnet20', 'densenet_bc_40', 'unet', 'transformer_classifier']) {
    it(`${name}: save, load into a differently seeded model, same outputs`, async () => {
      const options = name === 'unet' ? { baseWidth: 4, levels: 2 } : {};
      const source = createModel(name, { ...options, rng: new Rng(1) });
      // Move the BN running statistics off their defaults so the buffers matter too.
      const x = randn(name === 'unet' ? [2, 1, 16, 16] : name === 'transformer_classifier' ? [2, 1, 28, 28] : [2, 3, 16, 16], { rng: new Rng(2) });
      noGrad(() => source.train().forward(x));
      const path = join(dir, `${name}.safetensors`);
      await saveSafetensors(path, source.stateDict());
      const target = createModel(name, { ...options, rng: new Rng(99) });
      target.loadStateDict(await loadSafetensors(path), { source: path });
      const expected = noGrad(() => source.eval().forward(x));
      const actual = noGrad(() => target.eval().forward(x));
      expect(Array.from(actual.f32)).toEqual(Array.from(expected.f32));
    });
  }

  it('a plain twin state dict does not load into the residual model: the error names the keys', async () => {
    const path = join(dir, 'plain.safetensors');
    await saveSafetensors(path, createModel('resnet20', { skip: 'none', rng: new Rng(1) }).stateDict());
    const residual = createModel('resnet20', { skip: 'projection', rng: new Rng(1) });
    await expect(loadSafetensors(path).then((s) => residual.loadStateDict(s, { source: path }))).rejects.toThrow(/missing keys: layer2\.0\.downsample\.0\.weight/);
  });
});

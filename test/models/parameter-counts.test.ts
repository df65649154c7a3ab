import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { structureOnlyRng } from '../../src/models/catalog.js';
import { createModel, listModels } from '../../src/models/registry.js';

/**
 * The models no paper or torchvision publishes a parameter count for are pinned to counts
 * worked out independently: `/usr/bin/python3 scripts/fixtures/count_model_parameters.py`
 * rebuilds each from its documented architecture out of torch.nn layers and counts with
 * PyTorch (a hand formula beside each). The published ones are checked in registry.test.ts.
 */
const fixture = JSON.parse(readFileSync(new URL('../fixtures/models/parameter-counts.json', import.meta.url), 'utf8')) as {
  models: Record<string, { parameters: number; how: string }>;
  /** Registry models built with options, as the experiments build them. */
  withOptions: Record<string, { model: string; options: Record<string, number | boolean>; parameters: number; how: string }>;
};

describe('parameter counts of models without a published one', () => {
  it('every registry model has a published count or a worked-out one (a new model must be added to the script)', () => {
    const unpublished = listModels().filter((m) => !m.published).map((m) => m.name).sort();
    expect(unpublished).toEqual(Object.keys(fixture.models).sort());
  });

  for (const [name, { parameters, how }] of Object.entries(fixture.models)) {
    it(`${name}: ${parameters} parameters (${how})`, () => {
      expect(createModel(name, { rng: structureOnlyRng() }).parameterCount()).toBe(parameters);
    });
  }

  for (const [name, { model, options, parameters, how }] of Object.entries(fixture.withOptions)) {
    it(`${name}: ${parameters} parameters (${how})`, () => {
      expect(createModel(model, { ...options, rng: structureOnlyRng() }).parameterCount()).toBe(parameters);
    });
  }
});

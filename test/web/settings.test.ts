import { describe, expect, it } from 'vitest';
import { PRESET_IDS } from '../../web/src/presets.js';
import { checkSettings, defaultSettings, sessionFromQuery, sessionToQuery } from '../../web/src/settings.js';

describe('lab settings and shareable links', () => {
  it('round-trips a free session through the URL, every setting included', () => {
    const settings = { ...defaultSettings('highway'), depth: 30, width: 50, skip: 'none' as const, optimizer: 'sgd' as const, learningRate: 0.05, batchSize: 64, seed: 9, maxSteps: 400 };
    const query = sessionToQuery({ kind: 'free', settings, twin: false });
    expect(query).toContain('arch=highway');
    expect(query).toContain('skip=none');
    expect(sessionFromQuery(query, PRESET_IDS)).toEqual({ kind: 'free', settings, twin: false });
  });

  it('round-trips a preset and its seed', () => {
    const query = sessionToQuery({ kind: 'preset', preset: 'lesion', seed: 42 });
    expect(query).toBe('?preset=lesion&seed=42');
    expect(sessionFromQuery(query, PRESET_IDS)).toEqual({ kind: 'preset', preset: 'lesion', seed: 42 });
    expect(sessionFromQuery('?preset=unet', PRESET_IDS)).toEqual({ kind: 'preset', preset: 'unet', seed: 1 });
  });

  it('reads nothing from an empty or unrelated query', () => {
    expect(sessionFromQuery('', PRESET_IDS)).toBeNull();
    expect(sessionFromQuery('?utm_source=mail', PRESET_IDS)).toBeNull();
  });

  it('names the link parameter that is wrong', () => {
    expect(() => sessionFromQuery('?preset=nope', PRESET_IDS)).toThrow(/link parameter 'preset': 'nope' is not one of degradation/);
    expect(() => sessionFromQuery('?preset=lesion&seed=-2', PRESET_IDS)).toThrow(/link parameter 'seed'/);
    expect(() => sessionFromQuery('?arch=resnet&depth=7', PRESET_IDS)).toThrow(/link parameter 'depth': 7 is not one of 8, 14/);
    expect(() => sessionFromQuery('?arch=resnet&skip=gated', PRESET_IDS)).toThrow(/link parameter 'skip': 'gated' is not one of 'identity', 'none'/);
    expect(() => sessionFromQuery('?arch=resnet&lr=fast', PRESET_IDS)).toThrow(/link parameter 'lr': 'fast' is not a number/);
    expect(() => sessionFromQuery('?arch=transformer', PRESET_IDS)).toThrow(/link parameter 'arch'/);
  });

  it('checks settings against the architecture', () => {
    expect(checkSettings(defaultSettings('unet'), 'x').dataset).toBe('digit-segmentation');
    expect(() => checkSettings({ ...defaultSettings('resnet'), dataset: 'digit-segmentation' }, 'x')).toThrow(/x: dataset: .*segmentation set/);
    expect(() => checkSettings({ ...defaultSettings('unet'), dataset: 'mnist' }, 'x')).toThrow(/needs the digit-segmentation set/);
    expect(() => checkSettings({ ...defaultSettings('resnet'), batchNorm: false }, 'x')).toThrow(/x: batchNorm: .* built with batch norm/);
    expect(checkSettings({ ...defaultSettings('mlp'), batchNorm: false }, 'x').batchNorm).toBe(false);
    expect(() => checkSettings({ ...defaultSettings('resnet'), width: 0 }, 'x')).toThrow(/x: width:/);
    expect(() => checkSettings({ ...defaultSettings('resnet'), extra: 1 }, 'x')).toThrow(/x:/);
    expect(checkSettings({ ...defaultSettings('convnet'), depth: 5 }, 'x').depth).toBe(0);
  });
});

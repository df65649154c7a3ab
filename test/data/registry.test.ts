import { describe, expect, it } from 'vitest';
import { loadImageDataset } from '../../src/data/registry.js';

describe('loadImageDataset', () => {
  it('loads a named split with its class names', () => {
    const test = loadImageDataset('fashion-mnist', 'test');
    expect(test.count).toBe(10000);
    expect(test.classNames?.[9]).toBe('Ankle boot');
    expect(loadImageDataset('mnist', 'test').numClasses).toBe(10);
  });

  it('names what is missing or unknown', () => {
    expect(() => loadImageDataset('cifar10', 'train')).toThrow(/'cifar10' needs dataDir/);
    expect(() => loadImageDataset('svhn' as 'mnist', 'train')).toThrow(/unknown dataset 'svhn' \(choose mnist, fashion-mnist, cifar10, folder\)/);
  });
});

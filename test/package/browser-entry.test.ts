import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as browser from '../../src/browser.js';
import * as node from '../../src/index.js';

/**
 * The `browser` export condition selects src/browser.ts. A bundler targeting the browser fails on
 * a static `node:` import, so bundling the entry as Vite or webpack would is the check; and the
 * Node entry must offer everything the browser entry does, so code moves between them unchanged.
 */
const entry = fileURLToPath(new URL('../../src/browser.ts', import.meta.url));

describe('the browser entry', () => {
  it('bundles for the browser with no node: module reachable from it', async () => {
    const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((path) => path.startsWith('node:'))).toEqual([]);
    // The file-system halves stay out: only their byte-level codecs are reachable.
    for (const nodeOnly of ['src/io/safetensors.ts', 'src/io/atomic-write.ts', 'src/io/tensorboard.ts', 'src/train/trainer.ts', 'src/data/mnist.ts']) {
      expect(inputs, nodeOnly).not.toContain(nodeOnly);
    }
    expect(inputs).toContain('src/io/safetensors-codec.ts');
  });

  it('is a subset of the Node entry, which adds the file system', () => {
    for (const name of Object.keys(browser)) expect(node, name).toHaveProperty(name);
    for (const name of ['loadSafetensors', 'saveSafetensors', 'exportOnnx', 'loadMnist', 'Trainer']) {
      expect(node, name).toHaveProperty(name);
      expect(browser, name).not.toHaveProperty(name);
    }
    expect(browser).toHaveProperty('initWasmBackend');
    expect(browser).toHaveProperty('decodeSafetensors');
  });
});

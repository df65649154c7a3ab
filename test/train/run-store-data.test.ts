import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunDirectory } from '../../src/train/run-store.js';

const directory = mkdtempSync(join(tmpdir(), 'skiplab-run-data-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const source = (path: string, hash: string) => ({
  dataset: 'fashion-mnist', kind: 'official', path, files: [{ name: 'train-images-idx3-ubyte.gz', sha256: hash, contentSha256: hash }],
});
const config = { model: 'mlp', epochs: 1 };

describe('the data record in config.json', () => {
  it('is added to a config written before the data was loaded (an experiment expands its runs first)', () => {
    const run = new RunDirectory(join(directory, 'a'));
    run.initialize(config);
    run.initialize({ ...config, data: source('/usr/share/datasets/fashion-mnist', 'a'.repeat(64)) });
    expect(JSON.parse(readFileSync(run.configPath, 'utf8')).data.kind).toBe('official');
    // Resuming from a copy of the same files in another folder is the same data.
    expect(() => run.initialize({ ...config, data: source('/data/fashion-mnist', 'a'.repeat(64)) })).not.toThrow();
    // An executor re-initialising the run with the spec's config (no data record) keeps the record.
    run.initialize(config);
    expect(JSON.parse(readFileSync(run.configPath, 'utf8')).data.path).toBe('/usr/share/datasets/fashion-mnist');
  });

  it('may not change: a run resumed on other files is refused, naming the field', () => {
    const run = new RunDirectory(join(directory, 'b'));
    run.initialize({ ...config, data: source('/x', 'a'.repeat(64)) });
    expect(() => run.initialize({ ...config, data: source('/x', 'b'.repeat(64)) })).toThrow(/trained on other data files \(config\.json "data"\)/);
    expect(() => run.initialize({ ...config, data: null })).toThrow(/trained on other data files/);
  });

  it('does not hide a change in the rest of the config', () => {
    const run = new RunDirectory(join(directory, 'c'));
    run.initialize(config);
    expect(() => run.initialize({ ...config, epochs: 2, data: null })).toThrow(/holds a different config/);
  });
});

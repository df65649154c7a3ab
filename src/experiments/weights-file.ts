import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadWeights } from '../io/weights.js';
import type { Module } from '../nn/module.js';
import { CheckpointError } from '../util/errors.js';

/**
 * Weights files pinned by content: a measurement job names the SHA-256 of every file it reads,
 * so it measures exactly the weights it was planned with, on whichever machine it runs.
 */

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of a file, naming the file when it cannot be read. */
export function fileSha256(path: string): string {
  try {
    return sha256Hex(readFileSync(path));
  } catch (error) {
    throw new CheckpointError(`${path}: cannot read the weights (${(error as Error).message})`);
  }
}

/**
 * Load a weights file into `model` (a snapshot, a skiplab checkpoint, or a state dict written
 * elsewhere with torchvision's names; strict), after checking it is still the file with `sha256`.
 */
export async function loadPinnedWeights(model: Module, path: string, sha256: string): Promise<void> {
  if (fileSha256(path) !== sha256) {
    throw new CheckpointError(`${path}: the weights changed since the measurement was planned (SHA-256 is not ${sha256}); run the experiment again`);
  }
  await loadWeights(model, path);
}

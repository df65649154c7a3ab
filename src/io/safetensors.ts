import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsContents,
  type SafetensorsMetadata,
} from './safetensors-codec.js';

/**
 * safetensors files on disk, the format PyTorch and Hugging Face use for weights, so state dicts
 * move between skiplab and torchvision. The format itself (and its validation) lives in
 * `safetensors-codec.ts`, which has no Node dependency and also serves the browser.
 *
 * @example
 *   await saveSafetensors('model.safetensors', model.stateDict(), { format: 'pt' });
 *   model.loadStateDict(await loadSafetensors('model.safetensors'));
 */

export { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsContents, type SafetensorsMetadata };
export { METADATA_KEY } from './safetensors-codec.js';

function readBytesSync(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SafetensorsError(`safetensors ${path}: cannot read the file (${(error as Error).message})`);
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new SafetensorsError(`safetensors ${path}: cannot read the file (${(error as Error).message})`);
  }
}

/** Write tensors (F32/I32) and optional string metadata atomically (temp file + rename). */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: SafetensorsMetadata): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Synchronous `saveSafetensors`: write tensors (F32/I32) and optional string metadata atomically. */
export function saveSafetensorsSync(path: string, tensors: Record<string, Tensor>, metadata?: SafetensorsMetadata): void {
  writeFileAtomicSync(path, encodeSafetensors(tensors, metadata));
}

/** Read every tensor of a safetensors file; throws a `SafetensorsError` naming the file and problem. */
export async function loadSafetensors(path: string): Promise<Record<string, Tensor>> {
  return decodeSafetensors(await readBytes(path), path).tensors;
}

/** Synchronous `loadSafetensors`: every tensor of the file by name; a `SafetensorsError` names the file and problem. */
export function loadSafetensorsSync(path: string): Record<string, Tensor> {
  return decodeSafetensors(readBytesSync(path), path).tensors;
}

/** Tensors plus the `__metadata__` string map (null when the file has none). */
export async function loadSafetensorsWithMetadata(path: string): Promise<SafetensorsContents> {
  return decodeSafetensors(await readBytes(path), path);
}

/** Synchronous `loadSafetensorsWithMetadata`: the tensors plus the `__metadata__` string map. */
export function loadSafetensorsWithMetadataSync(path: string): SafetensorsContents {
  return decodeSafetensors(readBytesSync(path), path);
}

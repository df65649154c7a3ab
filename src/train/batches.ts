import type { Tensor } from '../tensor/tensor.js';

/** One mini-batch: inputs and integer targets (labels, or per-pixel labels for segmentation). */
export interface Batch {
  x: Tensor;
  y: Tensor;
}

/**
 * What the trainer reads batches from (the data layer's `DataLoader` is one). Iterating yields the
 * rest of the current epoch, or the whole next one when the current is done; `getState()`
 * captures the position and shuffling state so a resumed run sees exactly the batches an
 * uninterrupted one would.
 */
export interface BatchSource extends Iterable<Batch> {
  readonly batchesPerEpoch: number;
  getState(): unknown;
  setState(state: never): void;
}

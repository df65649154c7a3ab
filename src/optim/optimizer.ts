import type { Parameter } from '../nn/module.js';

/** Serializable optimiser state: per-parameter buffers by index, plus scalars. */
export interface OptimizerState {
  kind: string;
  step: number;
  lr: number;
  buffers: Record<string, (Float32Array | null)[]>;
}

/** Base of every optimiser: holds the parameters and a learning rate a scheduler may change. */
export abstract class Optimizer {
  /** Steps taken so far. */
  stepCount = 0;

  constructor(readonly params: readonly Parameter[], public lr: number) {
    if (!(lr >= 0)) throw new RangeError(`${this.constructor.name}: learning rate ${lr} must be >= 0`);
  }

  /** Apply one update from the parameters' current gradients (parameters without one are skipped). */
  abstract step(): void;

  /** Clear the gradients of every parameter (call before each backward pass). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** The optimizer's buffers (momentum, moments) and step count as tensors and JSON, for checkpoints. */
  abstract stateDict(): OptimizerState;
  /** Restore what `stateDict` saved, for the same parameters in the same order; a mismatch is an error. */
  abstract loadStateDict(state: OptimizerState): void;

  protected checkState(state: OptimizerState, kind: string, names: string[]): void {
    if (state.kind !== kind) throw new Error(`${kind}.loadStateDict: state was saved by ${state.kind}`);
    for (const name of names) {
      const list = state.buffers[name];
      if (!list || list.length !== this.params.length) {
        throw new Error(`${kind}.loadStateDict: buffer '${name}' has ${list?.length ?? 0} entries for ${this.params.length} parameters`);
      }
      list.forEach((b, i) => {
        if (b && b.length !== this.params[i]!.size) throw new Error(`${kind}.loadStateDict: buffer '${name}' ${i} has ${b.length} values for a parameter of ${this.params[i]!.size}`);
      });
    }
  }
}

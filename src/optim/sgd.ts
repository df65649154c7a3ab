import { getBackend } from '../backend/select.js';
import type { Parameter } from '../nn/module.js';
import { Optimizer, type OptimizerState } from './optimizer.js';

/** SGD hyper-parameters as PyTorch's: learning rate, momentum, dampening, weight decay (L2), Nesterov. */
export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** Stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch's torch.optim.SGD). */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private momentumBuffers: (Float32Array | null)[];

  constructor(params: readonly Parameter[], options: SgdOptions) {
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error('SGD: Nesterov momentum requires a momentum and zero dampening');
    this.momentumBuffers = params.map(() => null);
  }

  step(): void {
    const backend = getBackend();
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      let buffer = this.momentumBuffers[i]!;
      const firstStep = buffer === null;
      if (this.momentum !== 0 && !buffer) buffer = this.momentumBuffers[i] = backend.alloc(p.size);
      backend.sgdStep(p.f32, p.grad.f32, this.momentum !== 0 ? buffer : null, {
        lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov, firstStep,
      });
    });
    this.stepCount++;
  }

  /** Momentum buffers and hyper-parameters, for checkpoints. */
  stateDict(): OptimizerState {
    return { kind: 'SGD', step: this.stepCount, lr: this.lr, buffers: { momentum: this.momentumBuffers.map((b) => (b ? b.slice() : null)) } };
  }

  /** Restore what `stateDict` saved (same parameters, same order). */
  loadStateDict(state: OptimizerState): void {
    this.checkState(state, 'SGD', ['momentum']);
    this.stepCount = state.step;
    this.lr = state.lr;
    this.momentumBuffers = state.buffers.momentum!.map((b) => (b ? Float32Array.from(b) : null));
  }
}

import { getBackend } from '../backend/select.js';
import type { Parameter } from '../nn/module.js';
import { Optimizer, type OptimizerState } from './optimizer.js';

/** Adam hyper-parameters (Kingma & Ba 2015): learning rate, betas, eps, weight decay. */
export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

/** Adam (Kingma & Ba 2015) with PyTorch's defaults; L2 weight decay added to the gradient. */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;
  private m: (Float32Array | null)[];
  private v: (Float32Array | null)[];
  /** Per-parameter step counts (a parameter without a gradient does not advance). */
  private steps: number[];

  constructor(params: readonly Parameter[], options: AdamOptions = {}, defaultWeightDecay = 0) {
    super(params, options.lr ?? 1e-3);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? defaultWeightDecay;
    this.m = params.map(() => null);
    this.v = params.map(() => null);
    this.steps = params.map(() => 0);
  }

  step(): void {
    const backend = getBackend();
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      const m = (this.m[i] ??= backend.alloc(p.size));
      const v = (this.v[i] ??= backend.alloc(p.size));
      const step = ++this.steps[i]!;
      backend.adamStep(p.f32, p.grad.f32, m, v, {
        lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, decoupledWeightDecay: this.decoupled, step,
      });
    });
    this.stepCount++;
  }

  /** Step count, first and second moments and hyper-parameters, for checkpoints. */
  stateDict(): OptimizerState {
    const kind = this.constructor.name;
    return {
      kind, step: this.stepCount, lr: this.lr,
      buffers: {
        m: this.m.map((b) => (b ? b.slice() : null)),
        v: this.v.map((b) => (b ? b.slice() : null)),
        steps: [Float32Array.from(this.steps)],
      },
    };
  }

  /** Restore what `stateDict` saved (same parameters, same order). */
  loadStateDict(state: OptimizerState): void {
    this.checkState(state, this.constructor.name, ['m', 'v']);
    this.stepCount = state.step;
    this.lr = state.lr;
    this.m = state.buffers.m!.map((b) => (b ? Float32Array.from(b) : null));
    this.v = state.buffers.v!.map((b) => (b ? Float32Array.from(b) : null));
    this.steps = Array.from(state.buffers.steps?.[0] ?? this.params.map(() => state.step));
  }
}

/** AdamW (Loshchilov & Hutter 2019): decoupled weight decay, default 0.01 as PyTorch. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super(params, options, 0.01);
  }
}

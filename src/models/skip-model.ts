import { describeSkips, type HasSkips, type SkipEdge } from '../blocks/skip.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { kaimingNormal_ } from '../nn/init.js';
import { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';

/** A model that lists its skip edges; `summary()` notes show them. */
export abstract class SkipModel extends Module implements HasSkips {
  /** Every skip edge of the model, in forward order (a plain twin lists the same edges with kind `none`). */
  abstract skips(): SkipEdge[];

  override summaryNotes(): string[] {
    return describeSkips(this.skips());
  }
}

/**
 * torchvision's ResNet/DenseNet initialisation: every convolution kaiming_normal_(fan_out, relu),
 * every BatchNorm γ = 1, β = 0 (linear layers keep PyTorch's default).
 */
export function initLikeTorchvision(model: Module, rng: Rng): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      kaimingNormal_(m.weight, rng, { mode: 'fan_out', nonlinearity: 'relu' });
      m.bias?.f32.fill(0);
    } else if (m instanceof BatchNorm2d || m instanceof BatchNorm1d) {
      m.weight?.f32.fill(1);
      m.bias?.f32.fill(0);
    }
  }
}

/** Validate a positive integer option, naming the model and option on failure. */
export function positiveInteger(value: number, name: string, model: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${model}: ${name} must be a positive integer, got ${value}`);
  return value;
}

import { noGrad } from '../autograd/no-grad.js';
import { formatShape } from '../tensor/shape.js';
import { zeros, type Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

/** One layer of a `ModuleSummary`: its path, class, output shape, parameter count and multiply-adds. */
export interface SummaryRow {
  name: string;
  type: string;
  outputShape: readonly number[];
  /** Parameters owned directly by this module (not its children). */
  parameters: number;
  /** Multiply-adds of one forward pass over the whole input batch. */
  multiplyAdds: number;
}

/** A torchinfo-style table of a model for one input shape: rows, totals, and `toString()` to print it. */
export interface ModuleSummary {
  rows: SummaryRow[];
  totalParameters: number;
  trainableParameters: number;
  totalMultiplyAdds: number;
  notes: string[];
  /** The table as text, one layer a line, totals at the end. */
  toString(): string;
}

/**
 * Run one forward pass on zeros of `inputShape` (in eval mode, no tape) and record every
 * module's output shape, own parameter count and multiply-adds (Keras/torchinfo-style table).
 */
export function summarize(module: Module, inputShape: readonly number[]): ModuleSummary {
  const rows: SummaryRow[] = [];
  const removers: (() => void)[] = [];
  for (const [name, m] of module.namedModules()) {
    const own = m.namedParameters().filter(([n]) => !n.includes('.')).reduce((s, [, p]) => s + p.size, 0);
    removers.push(m.registerForwardHook((_mod, input: Tensor, output: Tensor) => {
      rows.push({ name: name || '(model)', type: m.constructor.name, outputShape: output.shape, parameters: own, multiplyAdds: m.multiplyAdds(input, output) });
    }));
  }
  const wasTraining = module.training;
  module.eval();
  try {
    noGrad(() => module.forward(zeros(inputShape)));
  } finally {
    removers.forEach((r) => r());
    module.train(wasTraining);
  }
  // Hooks fire child-first; show parents first as the tree reads.
  const order = new Map([...module.namedModules()].map(([n], i) => [n || '(model)', i]));
  rows.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  const totalParameters = module.parameterCount();
  const trainableParameters = module.parameters().filter((p) => p.requiresGrad).reduce((s, p) => s + p.size, 0);
  const totalMultiplyAdds = rows.reduce((s, r) => s + r.multiplyAdds, 0);
  const notes = module.summaryNotes();
  return {
    rows, totalParameters, trainableParameters, totalMultiplyAdds, notes,
    toString(): string {
      const lines = rows.map((r) => [r.name, r.type, formatShape(r.outputShape), r.parameters.toLocaleString('en-US'), r.multiplyAdds.toLocaleString('en-US')]);
      const header = ['layer', 'type', 'output shape', 'params', 'mult-adds'];
      const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
      const fmt = (cells: string[]): string => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
      return [
        fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt), '',
        `total parameters: ${totalParameters.toLocaleString('en-US')} (trainable ${trainableParameters.toLocaleString('en-US')})`,
        `multiply-adds per forward (batch ${inputShape[0]}): ${totalMultiplyAdds.toLocaleString('en-US')}`,
        ...notes,
      ].join('\n');
    },
  };
}

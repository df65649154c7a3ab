import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../src/tensor/tensor.js';

/**
 * The PyTorch model fixtures (scripts/fixtures/make_model_fixtures.py) and the rule of
 * docs/fixture-weights.md that rebuilds their weights and inputs from names and shapes alone.
 */
export interface ModelFixture {
  model: string;
  parameterCount: number;
  stateDict: [string, number[]][];
  weightChecks: Record<string, { first: number[]; sum: number }>;
  input: { shape: number[] };
  eval: { logits: { shape: number[]; data: number[] } };
  train?: {
    labels: number[];
    logits: { shape: number[]; data: number[] };
    loss: number;
    grads: Record<string, { shape: number[]; data: number[] }>;
  };
}

const root = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
/** test/fixtures/models/<name>.json */
export const loadModelFixture = (name: string): ModelFixture => JSON.parse(readFileSync(`${root}${name}.json`, 'utf8')) as ModelFixture;

/** phase = ((Σ charCode(name[k])·(k+1)) mod 997) / 97 */
function phaseOf(name: string): number {
  let total = 0;
  for (let k = 0; k < name.length; k++) total += name.charCodeAt(k) * (k + 1);
  return (total % 997) / 97;
}

/** The value of flat element i of entry `name` with `shape`, per the table of the weight rule. */
export function ruleValues(name: string, shape: readonly number[]): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const phase = phaseOf(name);
  const last = name.slice(name.lastIndexOf('.') + 1);
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < size; i++) {
    const s = Math.sin(0.731 * i + phase);
    if (last === 'weight' && shape.length >= 2) out[i] = s * Math.sqrt(3 / fanIn);
    else if (last === 'weight') out[i] = 1 + 0.1 * s;
    else if (last === 'bias' || last === 'running_mean') out[i] = 0.1 * s;
    else if (last === 'running_var') out[i] = 1 + 0.5 * s * s;
    else if (last === 'num_batches_tracked') out[i] = 0;
    else throw new Error(`weight rule: no value for entry '${name}'`);
  }
  return out;
}

export function ruleInput(shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(0.37 * i)), shape);
}


/** The fixture's state dict, filled by the rule (num_batches_tracked as int32). */
export function ruleStateDict(fixture: ModelFixture): Record<string, Tensor> {
  return Object.fromEntries(fixture.stateDict.map(([name, shape]) => {
    const values = ruleValues(name, shape);
    return [name, name.endsWith('num_batches_tracked') ? new Tensor(Int32Array.from(values), shape) : new Tensor(values, shape)];
  }));
}

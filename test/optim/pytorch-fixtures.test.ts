import { describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/select.js';
import { typescriptBackend } from '../../src/backend/ts/index.js';
import { Parameter } from '../../src/nn/module.js';
import { Adam, AdamW } from '../../src/optim/adam.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { SGD } from '../../src/optim/sgd.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { backendsUnderTest, maxRelativeError } from '../helpers/backends.js';
import { fixtureTensor, hasTensor, loadFixtureCases, type FixtureCase } from '../helpers/fixtures.js';

/**
 * SGD (momentum, dampening, Nesterov, weight decay), Adam (L2 decay, bias correction with
 * non-default betas and eps) and AdamW (decoupled decay) against torch.optim, step by step, on
 * every backend (each backend has its own sgdStep/adamStep kernel). The fixture is made by
 * `/usr/bin/python3 scripts/fixtures/make_optimizer_fixtures.py`; one parameter has no gradient
 * at one step, which PyTorch skips without advancing its state.
 */
interface OptimizerParams {
  optimizer: 'sgd' | 'adam' | 'adamw';
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weight_decay?: number;
  betas?: [number, number];
  eps?: number;
}

const TOLERANCE = 1e-5;
const cases = loadFixtureCases<OptimizerParams>('optim/torch-optim.json', 'torch-optim');

function build(params: Parameter[], p: OptimizerParams): Optimizer {
  if (p.optimizer === 'sgd') return new SGD(params, { lr: p.lr, momentum: p.momentum, dampening: p.dampening, nesterov: p.nesterov, weightDecay: p.weight_decay });
  const options = { lr: p.lr, betas: p.betas, eps: p.eps, weightDecay: p.weight_decay };
  return p.optimizer === 'adam' ? new Adam(params, options) : new AdamW(params, options);
}

function parameterCount(c: FixtureCase<unknown>): number {
  let n = 0;
  while (hasTensor(c, `p${n}`)) n++;
  return n;
}

describe('optimisers against torch.optim', () => {
  it('the fixture covers every option the brief names', () => {
    const params = cases.map((c) => c.params);
    expect(params.some((p) => p.optimizer === 'sgd' && (p.momentum ?? 0) > 0 && (p.dampening ?? 0) > 0)).toBe(true);
    expect(params.some((p) => p.optimizer === 'sgd' && p.nesterov && (p.weight_decay ?? 0) > 0)).toBe(true);
    expect(params.some((p) => p.optimizer === 'adam' && (p.weight_decay ?? 0) > 0)).toBe(true);
    expect(params.some((p) => p.optimizer === 'adam' && p.betas !== undefined)).toBe(true);
    expect(params.some((p) => p.optimizer === 'adamw' && p.weight_decay === undefined)).toBe(true);
  });

  for (const backend of backendsUnderTest()) {
    describe(backend.name, () => {
      for (const c of cases) {
        it(c.name, () => {
          setBackend(backend);
          try {
            const n = parameterCount(c);
            const params = Array.from({ length: n }, (_, i) => {
              const t = fixtureTensor(c, `p${i}`);
              return new Parameter(Float32Array.from(t.data), t.shape);
            });
            const optimizer = build(params, c.params);
            for (let step = 1; hasTensor(c, `p0.${step}`); step++) {
              params.forEach((p, i) => {
                const key = `g${i}.${step}`;
                p.grad = hasTensor(c, key) ? new Tensor(Float32Array.from(fixtureTensor(c, key).data), p.shape) : null;
              });
              optimizer.step();
              params.forEach((p, i) => {
                const error = maxRelativeError(p.f32, fixtureTensor(c, `p${i}.${step}`).data);
                expect(error, `parameter ${i} after step ${step}: max relative error ${error.toExponential(2)}`).toBeLessThanOrEqual(TOLERANCE);
              });
            }
          } finally {
            setBackend(typescriptBackend);
          }
        });
      }
    });
  }
});

import { getBackend } from '../backend/select.js';
import { uninitialized, type Tensor } from '../tensor/tensor.js';
import { record } from './tape.js';

type Site = { kind: 'relu'; mask: Float32Array } | { kind: 'maxPool2d'; argmax: Int32Array; inputSize: number };

/**
 * Which ReLU units were on and which max-pool inputs won, in the order a forward pass met them.
 * Replayed, it turns a ReLU net into the smooth function that agrees with it near the weights it
 * was recorded at: relu(x) becomes mask·x and a max pool picks the recorded inputs. That function
 * has the same gradient and Hessian there (a ReLU's second derivative is zero wherever it is
 * defined), and it is what double backward differentiates in PyTorch — but unlike the ReLU net,
 * its gradient does not jump when a perturbation moves a unit across zero, so finite differences
 * of gradients give its Hessian-vector products to O(ε²).
 */
export class ActivationPattern {
  /** @internal */
  readonly sites: Site[] = [];

  /** Number of ReLU and max-pool sites recorded. */
  get size(): number {
    return this.sites.length;
  }
}

interface Scope {
  pattern: ActivationPattern;
  replay: boolean;
  cursor: number;
}

let scope: Scope | null = null;

function within<T>(next: Scope, run: () => T): T {
  if (scope) throw new Error('activation patterns do not nest: one is already being recorded or replayed');
  scope = next;
  try {
    return run();
  } finally {
    scope = null;
  }
}

/** Run `forward` and record the ReLU masks and max-pool choices it makes. */
export function recordActivationPattern(forward: () => unknown): ActivationPattern {
  const pattern = new ActivationPattern();
  within({ pattern, replay: false, cursor: 0 }, forward);
  return pattern;
}

/**
 * Run `run` — one forward pass, and backward through it — with every ReLU and max pool frozen to
 * `pattern`; the pass must meet the same sites in the same order as the recorded one (the same
 * model, input and mode).
 */
export function withActivationPattern<T>(pattern: ActivationPattern, run: () => T): T {
  const active: Scope = { pattern, replay: true, cursor: 0 };
  const result = within(active, run);
  if (active.cursor !== pattern.sites.length) throw new Error(`activation pattern: the pass met ${active.cursor} of the ${pattern.sites.length} recorded sites (replay one forward pass of the same model on the same input)`);
  return result;
}

/** True while a pattern is recorded or replayed: fused kernels that hide a ReLU must then stand aside. */
export function activationPatternActive(): boolean {
  return scope !== null;
}

function nextSite<K extends Site['kind']>(active: Scope, kind: K, size: number): Extract<Site, { kind: K }> {
  const site = active.pattern.sites[active.cursor++];
  const siteSize = site?.kind === 'relu' ? site.mask.length : site?.kind === 'maxPool2d' ? site.inputSize : -1;
  if (!site || site.kind !== kind || siteSize !== size) {
    throw new Error(`activation pattern: site ${active.cursor} is a ${kind} of ${size} values, but the recorded pass had ${site ? `a ${site.kind} of ${siteSize}` : 'no more sites'} (replay the same model on the same input)`);
  }
  return site as Extract<Site, { kind: K }>;
}

/** relu(x) under an active pattern (recorded, or replayed as mask·x); null when none is active. */
export function patternRelu(x: Tensor, plainRelu: (x: Tensor) => Tensor): Tensor | null {
  const active = scope;
  if (!active) return null;
  if (!active.replay) {
    const out = plainRelu(x);
    active.pattern.sites.push({ kind: 'relu', mask: out.f32.map((v) => (v > 0 ? 1 : 0)) });
    return out;
  }
  const { mask } = nextSite(active, 'relu', x.size);
  const out = uninitialized(x.shape);
  const backend = getBackend();
  backend.binary('mul', x.f32, x.shape, mask, x.shape, out.f32, out.shape);
  const shape = x.shape;
  return record('relu', [x], out, (dy) => {
    const dx = uninitialized(shape);
    getBackend().binary('mul', dy.f32, shape, mask, shape, dx.f32, shape);
    return [dx];
  });
}

/**
 * The window maxima a max pool takes under an active pattern: recorded from this pass, or the
 * recorded ones replayed; the pool's own `argmax` when no pattern is active.
 */
export function patternMaxPoolArgmax(inputSize: number, argmax: Int32Array): Int32Array {
  const active = scope;
  if (!active) return argmax;
  if (!active.replay) {
    active.pattern.sites.push({ kind: 'maxPool2d', argmax: argmax.slice(), inputSize });
    return argmax;
  }
  const recorded = nextSite(active, 'maxPool2d', inputSize).argmax;
  if (recorded.length !== argmax.length) throw new Error(`activation pattern: site ${active.cursor} is a max pool to ${argmax.length} values, but the recorded one gave ${recorded.length}`);
  return recorded;
}

import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { summarize, type ModuleSummary } from './summary.js';

/** A learnable tensor: found by walking the module tree, always requires a gradient. */
export class Parameter extends Tensor {
  constructor(data: Float32Array, shape: readonly number[]) {
    super(data, shape);
    this.requiresGrad = true;
  }

  /** Wrap an existing tensor's storage as a parameter. */
  static from(t: Tensor): Parameter {
    return new Parameter(t.f32, t.shape);
  }
}

/** A non-learnable tensor that is part of the state (BatchNorm's running statistics). */
export class Buffer extends Tensor {}

/** Called after a module's forward with its input and output; returning a tensor replaces the output. */
export type ForwardHook = (module: Module, input: Tensor, output: Tensor) => Tensor | void;
/** Called before a module's forward with its input; returning a tensor replaces the input. */
export type ForwardPreHook = (module: Module, input: Tensor) => Tensor | void;
/** Called with the gradient of the module's output during backward. */
export type BackwardHook = (module: Module, gradOutput: Tensor) => void;

/** Parameters and buffers by dotted name (torchvision's names), as safetensors files hold them. */
export type StateDict = Record<string, Tensor>;

/**
 * The base of every layer and model. Parameters, buffers and sub-modules are ordinary typed
 * fields; they are discovered by walking the object (in field order, which is construction order,
 * as PyTorch's registration order), so nothing is registered by string. Field names become
 * state-dict keys, so layers use torchvision's names (`weight`, `running_mean`, `layer1`).
 */
export abstract class Module {
  /** Training mode (dropout active, batch-norm uses batch statistics). */
  training = true;
  private hooks: { pre: ForwardPreHook[]; forward: ForwardHook[]; backward: BackwardHook[] } | null = null;

  /** The module's computation: input (N, …) to output, recorded on the autograd tape when grad is on. */
  abstract forward(x: Tensor): Tensor;

  /** Direct sub-modules with their attribute names; arrays of modules are numbered. */
  *namedChildren(): Generator<[string, Module]> {
    for (const [key, value] of Object.entries(this)) {
      if (key === 'hooks') continue;
      if (value instanceof Module) yield [key, value];
      else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (value[i] instanceof Module) yield [`${key}.${i}`, value[i] as Module];
      }
    }
  }

  /** Own tensors (not those of sub-modules) of a given kind, with their attribute names. */
  protected *ownTensors<T extends Tensor>(kind: abstract new (...args: never[]) => T): Generator<[string, T]> {
    for (const [key, value] of Object.entries(this)) if (value instanceof kind) yield [key, value as T];
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.namedChildren()) yield* child.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  /** This module and every descendant, depth first (`namedModules` without the names). */
  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Every trainable tensor with its dotted state-dict name (`layer1.0.conv1.weight`), each once even when shared. */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.ownTensors(Parameter)) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${name}` : name, p]);
      }
    }
    return out;
  }

  /** Every trainable tensor, in `namedParameters` order — what an optimizer takes. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every non-trainable state tensor (batch-norm running statistics) with its dotted name. */
  namedBuffers(): [string, Buffer][] {
    const out: [string, Buffer][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, b] of m.ownTensors(Buffer)) out.push([prefix ? `${prefix}.${name}` : name, b]);
    }
    return out;
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Parameters and buffers by name, sharing storage (torchvision's key order and names). */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [prefix, m] of this.namedModules()) {
      for (const [key, value] of Object.entries(m)) {
        if (value instanceof Parameter || value instanceof Buffer) out[prefix ? `${prefix}.${key}` : key] = value;
      }
    }
    return out;
  }

  /**
   * Copy values in by name. With `strict` (default) every key must match both ways; shapes must
   * always match. Nothing is copied unless everything checks out, so a bad file changes nothing.
   */
  loadStateDict(state: StateDict, options: { strict?: boolean; source?: string } = {}): { missing: string[]; unexpected: string[] } {
    const strict = options.strict ?? true;
    const source = options.source ? ` from ${options.source}` : '';
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !(k in own));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts = [];
      if (missing.length) parts.push(`missing keys: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.slice(0, 10).join(', ')}${unexpected.length > 10 ? ', …' : ''}`);
      throw new Error(`loadStateDict${source}: ${parts.join('; ')}`);
    }
    for (const [key, target] of Object.entries(own)) {
      const value = state[key];
      if (value && !shapesEqual(value.shape, target.shape)) {
        throw new Error(`loadStateDict${source}: '${key}' has shape ${formatShape(value.shape)} but the model expects ${formatShape(target.shape)}`);
      }
    }
    for (const [key, target] of Object.entries(own)) {
      const value = state[key];
      if (!value) continue;
      if (target.dtype === value.dtype) target.data.set(value.data);
      else for (let i = 0; i < target.size; i++) target.data[i] = value.data[i]!;
    }
    return { missing, unexpected };
  }

  /** Set training mode here and below; returns this. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (dropout off, batch-norm uses running statistics). */
  eval(): this {
    return this.train(false);
  }

  /** Clear every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  // ---- hooks -----------------------------------------------------------------------------------

  /**
   * Whether any hook is registered on this module. Fused fast paths that skip calling a layer's
   * own `forward` (batch norm + ReLU as one op, a batch norm folded into its convolution) run only
   * on unhooked layers, so a hook always sees the layer's own input, output and gradient.
   */
  get hooked(): boolean {
    return this.hooks !== null;
  }

  /** Call `hook(module, input, output)` after each forward; a returned tensor replaces the output. */
  registerForwardHook(hook: ForwardHook): () => void {
    return this.addHook('forward', hook);
  }

  /** Call `hook(module, input)` before each forward; a returned tensor replaces the input. */
  registerForwardPreHook(hook: ForwardPreHook): () => void {
    return this.addHook('pre', hook);
  }

  /** Call `hook(module, gradOutput)` when the gradient of this module's output is known. */
  registerBackwardHook(hook: BackwardHook): () => void {
    return this.addHook('backward', hook);
  }

  private addHook<K extends 'pre' | 'forward' | 'backward'>(kind: K, hook: NonNullable<Module['hooks']>[K][number]): () => void {
    if (!this.hooks) {
      this.hooks = { pre: [], forward: [], backward: [] };
      this.installHookedForward();
    }
    (this.hooks[kind] as unknown[]).push(hook);
    return () => {
      if (!this.hooks) return;
      const list = this.hooks[kind] as unknown[];
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
      if (this.hooks.pre.length + this.hooks.forward.length + this.hooks.backward.length === 0) {
        this.hooks = null;
        delete (this as { forward?: unknown }).forward; // back to the class's forward
      }
    };
  }

  /** Hooks cost nothing until used: only then is `forward` wrapped, as an own property. */
  private installHookedForward(): void {
    const inner = Object.getPrototypeOf(this).forward as (x: Tensor) => Tensor;
    Object.defineProperty(this, 'forward', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: (x: Tensor): Tensor => {
        const hooks = this.hooks;
        if (!hooks) return inner.call(this, x);
        for (const h of hooks.pre) x = h(this, x) ?? x;
        let y = inner.call(this, x);
        for (const h of hooks.forward) y = h(this, x, y) ?? y;
        if (hooks.backward.length > 0 && y.requiresGrad) {
          const list = hooks.backward;
          y.registerHook((g) => {
            for (const h of list) h(this, g);
          });
        }
        return y;
      },
    });
  }

  /** Multiply-adds this module itself performs for one forward pass (0 for containers). */
  multiplyAdds(_input: Tensor, _output: Tensor): number {
    return 0;
  }

  /** Extra lines for `summary()` (models list their skip edges here). */
  summaryNotes(): string[] {
    return [];
  }

  /** Per-layer output shapes, parameter counts and multiply-adds for an input of `inputShape`. */
  summary(inputShape: readonly number[]): ModuleSummary {
    return summarize(this, inputShape);
  }

  /** A short description of this layer's configuration (PyTorch's extra_repr). */
  describe(): string {
    return '';
  }

  /** The module tree as PyTorch prints it: `ResNet(\n  (conv1): Conv2d(3, 64, …)\n  …)`. */
  toString(): string {
    const children = [...this.namedChildren()];
    const head = `${this.constructor.name}(${this.describe()}`;
    if (children.length === 0) return `${head})`;
    const body = children.map(([name, c]) => `  (${name}): ${c.toString().split('\n').join('\n  ')}`).join('\n');
    return `${head}\n${body}\n)`;
  }
}

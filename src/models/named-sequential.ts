import { runInOrder } from '../nn/layers/sequential.js';
import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Layers applied in order under given names, like PyTorch's nn.Sequential(OrderedDict(...)).
 * torchvision's DenseNet names the children of `features` (`conv0`, `denseblock1`,
 * `transition1`, ..., `norm5`) and the number of blocks varies by model, so they cannot all be
 * class fields; their names are still torchvision's state-dict keys.
 */
export class NamedSequential extends Module {
  private readonly children: (readonly [string, Module])[];

  constructor(children: readonly (readonly [string, Module])[]) {
    super();
    const names = new Set<string>();
    for (const [name] of children) {
      if (names.has(name)) throw new Error(`NamedSequential: the name '${name}' is used twice`);
      names.add(name);
    }
    this.children = [...children];
  }

  override *namedChildren(): Generator<[string, Module]> {
    for (const [name, module] of this.children) yield [name, module];
  }

  forward(x: Tensor): Tensor {
    return runInOrder(this.children.map(([, module]) => module), x);
  }

  /** The child called `name`. */
  get(name: string): Module {
    const found = this.children.find(([n]) => n === name);
    if (!found) throw new RangeError(`NamedSequential: no child '${name}' (have ${this.children.map(([n]) => n).join(', ')})`);
    return found[1];
  }
}

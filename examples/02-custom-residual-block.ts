/**
 * Example 2 — write your own residual block, build its plain twin, and compare gradient norms.
 *
 *   npx tsx 02-custom-residual-block.ts [--depth 30]
 *
 * A skip is a declared thing in skiplab: a block implements `blocks.SkipBlock` — it says which
 * kind of skip it has and shows its junction (branch F(x), shortcut S(x), how they merge) — and
 * the plain twin is the same block with `skip: 'none'`: the same main path, the same weights for
 * the same seed, only the skip removed, so comparing the two changes exactly one thing. Because
 * the junction is declared, skiplab's analyses (lesions, paths, identity construction) work on
 * this block without knowing its class.
 *
 * He et al. (2016, "Identity mappings", §3): with y = x + F(x), the gradient reaching an early
 * block is the output's gradient plus terms through every F, so it cannot vanish with depth;
 * without the skip it is a product of per-block factors.
 */
import { parseArgs } from 'node:util';
import { add, analysis, blocks, intTensor, manualSeed, nn, randn, Rng, type SkipEdge, type SkipKind, type Tensor } from 'skiplab';

/** y = relu(F(x) + x) with F(x) = W2·relu(W1·x), a fully connected residual block; its twin: relu(F(x)). */
class DenseResidualBlock extends nn.Module implements blocks.SkipBlock {
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;

  constructor(features: number, readonly skipKind: 'identity' | 'none', rng: Rng) {
    super();
    this.fc1 = new nn.Linear(features, features, { rng });
    this.fc2 = new nn.Linear(features, features, { rng });
  }

  forward(x: Tensor): Tensor {
    return this.forwardJunctions(x, blocks.evaluateJunction);
  }

  /** The one junction: the branch F(x), the skip S(x) = x (none in the twin), merged by add-relu. */
  forwardJunctions(x: Tensor, rule: blocks.JunctionRule): Tensor {
    return rule({
      kind: this.skipKind,
      merge: 'add-relu',
      input: x, //                                                     (N, features)
      branch: () => this.fc2.forward(nn.functional.relu(this.fc1.forward(x))),
      shortcut: () => (this.skipKind === 'identity' ? x : null),
      join: (branch, shortcut) => nn.functional.relu(shortcut ? add(branch, shortcut) : branch),
    });
  }

  /** F = 0 makes y = relu(x) = x on the non-negative inputs a preceding ReLU gives (He et al. 2015 §1). */
  makeIdentity(): void {
    if (this.skipKind === 'none') throw new Error('a plain block cannot be made an identity by its weights alone');
    this.fc2.weight.f32.fill(0);
    this.fc2.bias?.f32.fill(0);
  }
}

/** `depth` blocks and a classifier, listing its skips so that analysis can find the blocks. */
class ResidualMlp extends nn.Module {
  readonly layers: DenseResidualBlock[];
  readonly head: nn.Linear;

  constructor(depth: number, skip: 'identity' | 'none') {
    super();
    const rng = new Rng(7); // the same seed: the twin gets the same weights
    this.layers = Array.from({ length: depth }, () => new DenseResidualBlock(64, skip, rng));
    this.head = new nn.Linear(64, 10, { rng });
  }

  forward(x: Tensor): Tensor {
    for (const layer of this.layers) x = layer.forward(x);
    return this.head.forward(x); //                                 (N, 10) logits
  }

  skips(): SkipEdge[] {
    return blocks.chainSkips(this.layers.map((layer, i) => [`layers.${i}`, layer] as const), 'input');
  }
}

/** ‖∂loss/∂W‖ of each block's first layer, from a single backward pass on one batch. */
function firstLayerGradientNorms(model: ResidualMlp, x: Tensor, y: Tensor): number[] {
  model.zeroGrad();
  nn.functional.crossEntropy(model.forward(x), y).backward();
  return model.layers.map((layer) => Math.sqrt(layer.fc1.weight.grad!.toFloat32Array().reduce((sum, g) => sum + g * g, 0)));
}

const { values } = parseArgs({ options: { depth: { type: 'string', default: '30' } } });
const depth = Number(values.depth);
manualSeed(0);
const x = randn([32, 64]); //                                       (N, features)
const y = intTensor(Array.from({ length: 32 }, (_, i) => i % 10)); // (N) class labels
const residual = new ResidualMlp(depth, 'identity');
const plain = new ResidualMlp(depth, 'none');
const withSkip = firstLayerGradientNorms(residual, x, y);
const withoutSkip = firstLayerGradientNorms(plain, x, y);

const kinds = (model: ResidualMlp): SkipKind[] => model.skips().map((edge) => edge.kind);
console.log(`identity skips: ${kinds(residual).filter((k) => k === 'identity').length} in the residual stack, ${kinds(plain).filter((k) => k === 'identity').length} in its plain twin`);
console.log('block   ‖grad‖ residual   ‖grad‖ plain');
for (const k of [0, Math.floor(depth / 2), depth - 1]) {
  console.log(`${String(k + 1).padStart(5)}   ${withSkip[k]!.toExponential(3).padStart(15)}   ${withoutSkip[k]!.toExponential(3).padStart(12)}`);
}
console.log(`first block / last block: residual ${(withSkip[0]! / withSkip[depth - 1]!).toExponential(2)}, plain ${(withoutSkip[0]! / withoutSkip[depth - 1]!).toExponential(2)}`);

// skiplab's analyses see the block only through its junction: delete each branch in turn.
const { baseline, lesions } = analysis.lesionEachBlock(residual, [{ x, y }]);
const worst = Math.max(...lesions.map((l) => l.error));
console.log(`lesions of ${lesions.length} custom blocks (untrained: error ${(100 * baseline).toFixed(0)} % before, at most ${(100 * worst).toFixed(0)} % after one deletion)`);

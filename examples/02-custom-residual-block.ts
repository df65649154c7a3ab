/**
 * Example 2 — write your own residual block, build its plain twin, and compare gradient norms.
 *
 *   npx tsx 02-custom-residual-block.ts [--depth 30]
 *
 * A skip is a declared thing in skiplab: the block says which kind it is (`skipKind`), and the
 * plain twin is the same block with `skip: 'none'` — the same main path, the same weights for the
 * same seed, only the skip removed — so comparing the two changes exactly one thing.
 * He et al. (2016, "Identity mappings", §3) show why it matters: with y = x + F(x), the gradient
 * reaching an early block is the gradient at the output plus terms through every F, so it cannot
 * vanish with depth; without the skip it is a product of per-block factors.
 */
import { parseArgs } from 'node:util';
import { add, blocks, intTensor, manualSeed, nn, randn, Rng, type SkipKind, type Tensor } from 'skiplab';

/** y = relu(x + W2·relu(W1·x)) — a fully connected residual block; with skip 'none', relu(W2·relu(W1·x)). */
class DenseResidualBlock extends nn.Module implements blocks.SkipBlock {
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;

  constructor(features: number, readonly skip: 'identity' | 'none', rng: Rng) {
    super();
    this.fc1 = new nn.Linear(features, features, { rng });
    this.fc2 = new nn.Linear(features, features, { rng });
  }

  get skipKind(): SkipKind {
    return this.skip;
  }

  forward(x: Tensor): Tensor {
    const branch = this.fc2.forward(nn.functional.relu(this.fc1.forward(x))); // F(x): (N, features)
    return nn.functional.relu(this.skip === 'identity' ? add(branch, x) : branch); // the skip, visible
  }
}

/** `depth` blocks and a classifier; the same seed gives the twin the same weights. */
function stack(depth: number, skip: 'identity' | 'none'): nn.Sequential {
  const rng = new Rng(7);
  const layers: nn.Module[] = Array.from({ length: depth }, () => new DenseResidualBlock(64, skip, rng));
  return new nn.Sequential(...layers, new nn.Linear(64, 10, { rng }));
}

/** ‖∂loss/∂W‖ of each block's first layer, from a single backward pass on one batch. */
function firstLayerGradientNorms(model: nn.Sequential, x: Tensor, y: Tensor): number[] {
  model.zeroGrad();
  nn.functional.crossEntropy(model.forward(x), y).backward();
  return model.namedParameters()
    .filter(([name]) => name.endsWith('fc1.weight'))
    .map(([, weight]) => Math.sqrt(weight.grad!.toFloat32Array().reduce((sum, g) => sum + g * g, 0)));
}

const { values } = parseArgs({ options: { depth: { type: 'string', default: '30' } } });
const depth = Number(values.depth);
manualSeed(0);
const x = randn([32, 64]); //                         (N, features)
const y = intTensor(Array.from({ length: 32 }, (_, i) => i % 10)); // (N) class labels
const residual = stack(depth, 'identity');
const plain = stack(depth, 'none');
const withSkip = firstLayerGradientNorms(residual, x, y);
const withoutSkip = firstLayerGradientNorms(plain, x, y);

const identitySkips = (model: nn.Module) => [...model.modules()].filter((m) => m instanceof DenseResidualBlock && m.skipKind === 'identity').length;
console.log(`identity skips: ${identitySkips(residual)} in the residual stack, ${identitySkips(plain)} in its plain twin`);
console.log('block   ‖grad‖ residual   ‖grad‖ plain');
for (const k of [0, Math.floor(depth / 2), depth - 1]) {
  console.log(`${String(k + 1).padStart(5)}   ${withSkip[k]!.toExponential(3).padStart(15)}   ${withoutSkip[k]!.toExponential(3).padStart(12)}`);
}
console.log(`first block / last block: residual ${(withSkip[0]! / withSkip[depth - 1]!).toExponential(2)}, plain ${(withoutSkip[0]! / withoutSkip[depth - 1]!).toExponential(2)}`);

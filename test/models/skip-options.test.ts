import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/no-grad.js';
import { asSkipBlock, evaluateJunction } from '../../src/blocks/skip-block.js';
import type { SkipKind } from '../../src/blocks/skip.js';
import { structureOnlyRng } from '../../src/models/catalog.js';
import { createModel, listModels, type ModelOptions } from '../../src/models/registry.js';
import type { SkipModel } from '../../src/models/skip-model.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

/**
 * One skip vocabulary across the registry: every kind a model's `skips()` lists is a value its
 * `skip` option accepts, every accepted value builds, and the built model lists exactly what it
 * built — checked against the blocks themselves, and (where a small build runs fast) against the
 * junctions a forward pass actually goes through.
 *
 * Small builds: options that shrink each model without changing its structure's kind. The
 * ImageNet ResNets have no size option, so they are built with constant weights and not run.
 */
const small: Record<string, { options: ModelOptions; input: number[] } | null> = {
  resnet20: { options: { inChannels: 1 }, input: [1, 1, 8, 8] },
  resnet32: { options: { inChannels: 1, baseWidth: 2 }, input: [1, 1, 8, 8] },
  resnet44: { options: { inChannels: 1, baseWidth: 2 }, input: [1, 1, 8, 8] },
  resnet56: { options: { inChannels: 1, baseWidth: 2 }, input: [1, 1, 8, 8] },
  resnet110: { options: { inChannels: 1, baseWidth: 2 }, input: [1, 1, 8, 8] },
  resnet_cifar: { options: { depth: 8, block: 'preact', inChannels: 1, baseWidth: 2 }, input: [1, 1, 8, 8] },
  resnet18: null, resnet34: null, resnet50: null, resnet101: null, resnet152: null,
  densenet121: { options: { growthRate: 2, inChannels: 1 }, input: [1, 1, 32, 32] },
  densenet169: { options: { growthRate: 2, inChannels: 1 }, input: [1, 1, 32, 32] },
  densenet_bc_40: { options: { growthRate: 2, inChannels: 1 }, input: [1, 1, 8, 8] },
  densenet_bc_100: { options: { growthRate: 2, inChannels: 1 }, input: [1, 1, 8, 8] },
  densenet_cifar: { options: { depth: 10, growthRate: 2, inChannels: 1 }, input: [1, 1, 8, 8] },
  highway_fc: { options: { depth: 3, width: 4, inFeatures: 6 }, input: [1, 6] },
  highway_conv: { options: { depth: 2, width: 2 }, input: [1, 1, 6, 6] },
  unet: { options: { levels: 2, baseWidth: 2 }, input: [1, 1, 8, 8] },
  transformer_classifier: { options: { imageSize: 4, dim: 4, heads: 2, layers: 2 }, input: [1, 1, 4, 4] },
  mlp: { options: { width: 4 }, input: [1, 1, 28, 28] },
  simple_convnet: { options: { width: 2 }, input: [1, 1, 28, 28] },
};

/** The kinds of the junctions each skip block goes through on one forward pass, by block path. */
function junctionKinds(model: SkipModel, input: number[]): Map<string, SkipKind[]> {
  const kinds = new Map<string, SkipKind[]>();
  const blocks = [...new Set(model.skips().map((e) => e.block))];
  const removers = blocks.map((path) => {
    const block = asSkipBlock([...model.namedModules()].find(([p]) => p === path)![1], path);
    return block.registerForwardHook((_m, x) => {
      if (kinds.has(path)) return;
      const seen: SkipKind[] = [];
      block.forwardJunctions(x, (j) => {
        seen.push(j.kind);
        return evaluateJunction(j);
      });
      kinds.set(path, seen);
    });
  });
  noGrad(() => model.eval().forward(randn(input, { rng: new Rng(1) })));
  removers.forEach((remove) => remove());
  return kinds;
}

describe('one skip vocabulary over the registry', () => {
  it('has a small build (or a reason for none) for every registered model (a new model must be added here)', () => {
    expect(listModels().map((m) => m.name).sort()).toEqual(Object.keys(small).sort());
  });

  for (const info of listModels()) {
    it(`${info.name}: accepts every skip kind it lists, and lists what it built`, () => {
      const plan = small[info.name];
      const build = (skip?: SkipKind): SkipModel =>
        createModel(info.name, { ...(plan?.options ?? {}), ...(skip ? { skip } : {}), rng: plan ? new Rng(0) : structureOnlyRng() });
      const defaultEdges = build().skips();
      const listed = new Set(defaultEdges.map((e) => e.kind));
      expect([...listed].sort()).toEqual([...info.skipKinds].sort());
      for (const kind of listed) expect(info.skipOptions, `'${kind}' is listed but not accepted`).toContain(kind);
      if (info.skipOptions.length === 0) {
        expect(() => build('none')).toThrow(/option 'skip' is not accepted/);
        return;
      }
      expect(info.skipOptions).toContain('none');
      for (const skip of info.skipOptions) {
        const model = build(skip);
        const edges = model.skips();
        if (skip === 'none') {
          expect(edges.every((e) => e.kind === 'none')).toBe(true);
          expect(edges.map((e) => [e.from, e.to, e.block])).toEqual(defaultEdges.map((e) => [e.from, e.to, e.block]));
        } else {
          expect(edges.map((e) => e.kind), `skip '${skip}'`).toContain(skip);
          expect(edges.some((e) => e.kind === 'none')).toBe(false);
        }
        // What each edge declares is what its block is.
        const modules = new Map(model.namedModules());
        for (const e of edges) expect(asSkipBlock(modules.get(e.block)!, e.block).skipKind, e.block).toBe(e.kind);
        if (!plan) continue;
        // And what the blocks declare is what a forward pass goes through.
        const kinds = junctionKinds(model, plan.input);
        for (const [block, seen] of kinds) {
          const declared = edges.filter((e) => e.block === block).map((e) => e.kind);
          expect(new Set(seen), block).toEqual(new Set(declared));
        }
        expect([...kinds.keys()].sort()).toEqual([...new Set(edges.map((e) => e.block))].sort());
      }
    });
  }

  it('names the accepted kinds when a skip does not fit the model', () => {
    expect(() => createModel('resnet18', { skip: 'concat' })).toThrow(/createModel\('resnet18'\): skip 'concat' is not one of 'projection', 'identity', 'zero-pad', 'none'/);
    expect(() => createModel('densenet_bc_40', { skip: 'identity' })).toThrow(/skip 'identity' is not one of 'concat', 'none'/);
  });

  it("builds He et al. §3.3's options: identity and zero-pad are A, projection is B, on CIFAR and ImageNet ResNets", () => {
    const kinds = (name: string, skip: SkipKind) => {
      const counts: Record<string, number> = {};
      for (const e of createModel(name, { skip, rng: structureOnlyRng() }).skips()) counts[e.kind] = (counts[e.kind] ?? 0) + 1;
      return counts;
    };
    expect(kinds('resnet20', 'identity')).toEqual({ identity: 7, 'zero-pad': 2 });
    expect(kinds('resnet20', 'zero-pad')).toEqual({ identity: 7, 'zero-pad': 2 });
    expect(kinds('resnet20', 'projection')).toEqual({ identity: 7, projection: 2 });
    expect(kinds('resnet18', 'projection')).toEqual({ identity: 5, projection: 3 });
    expect(kinds('resnet18', 'identity')).toEqual({ identity: 5, 'zero-pad': 3 });
    // Bottlenecks widen 64 -> 256 in the first block too: four shape changes.
    expect(kinds('resnet50', 'projection')).toEqual({ identity: 12, projection: 4 });
  });
});

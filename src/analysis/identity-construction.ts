import { cloneModule } from '../nn/clone.js';
import { skipBlocks, type AnalysedModel } from './model-parts.js';

/**
 * The seeds' construction argument (He et al. 2015 §1: "the added layers are identity mapping,
 * and the other layers are copied from the learned shallower model"): a copy of `deep` — a
 * deeper build of the same architecture — filled from the trained `shallow` model. Every block
 * of `shallow` must exist under the same path in `deep` (e.g. the first blocks of each stage);
 * the blocks that only `deep` has are made identities (`SkipBlock.makeIdentity`: a zero branch
 * for a residual block, identity kernels and pass-through batch norms for a plain one). In
 * evaluation mode the returned model computes exactly what `shallow` does. Neither `shallow` nor
 * `deep` is changed.
 */
export function identityConstruction<T extends AnalysedModel>(shallow: AnalysedModel, deep: T): { model: T; copied: string[]; inserted: string[] } {
  const shallowBlocks = new Set(skipBlocks(shallow).map((b) => b.path));
  const deepBlocks = skipBlocks(deep);
  for (const path of shallowBlocks) {
    if (!deepBlocks.some((b) => b.path === path)) throw new Error(`identityConstruction: block '${path}' of the shallow model has no counterpart in the deep model`);
  }
  const insertedPaths = deepBlocks.filter((b) => !shallowBlocks.has(b.path)).map((b) => b.path);
  const model = cloneModule(deep);
  const source = shallow.stateDict();
  const copied: string[] = [];
  for (const [key, target] of Object.entries(model.stateDict())) {
    if (insertedPaths.some((p) => key.startsWith(`${p}.`))) continue;
    const value = source[key];
    if (!value) throw new Error(`identityConstruction: the deep model's '${key}' has no counterpart in the shallow model`);
    if (value.size !== target.size) throw new Error(`identityConstruction: '${key}' has ${value.size} values in the shallow model and ${target.size} in the deep one`);
    target.data.set(value.data);
    copied.push(key);
  }
  for (const { path, module } of skipBlocks(model)) {
    if (!insertedPaths.includes(path)) continue;
    try {
      module.makeIdentity();
    } catch (error) {
      throw new Error(`identityConstruction: inserted block '${path}' cannot be an identity (${(error as Error).message})`);
    }
  }
  return { model, copied, inserted: insertedPaths };
}

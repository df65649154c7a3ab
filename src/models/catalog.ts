import type { SkipKind } from '../blocks/skip.js';
import { Rng } from '../tensor/rng.js';
import { createModel, listModels, type ModelInfo } from './registry.js';

/**
 * A generator that returns constants: models built with it have the right structure and
 * parameter counts but meaningless weights, at a fraction of the cost of drawing 60M normals.
 * For counting and listing only.
 */
class StructureOnlyRng extends Rng {
  override uniform(): number {
    return 0.5;
  }

  override normal(): number {
    return 0;
  }

  override nextUint32(): number {
    return 0;
  }
}

/** A generator for building models only to inspect their structure (counts, names, shapes). */
export function structureOnlyRng(): Rng {
  return new StructureOnlyRng();
}

/** One row of `modelCatalog`: a model, its plain twin, their parameter counts and skip kinds. */
export interface CatalogEntry extends ModelInfo {
  /** Parameters of the default model. */
  parameters: number;
  /** Parameters of its plain twin (skip 'none'), or null when the model has no skips to remove. */
  plainParameters: number | null;
  /** Skip edges of the default model, by kind (kinds that occur only). */
  skipEdges: Partial<Record<SkipKind, number>>;
}

/**
 * Every registered model (or those named) with measured parameter counts for it and its plain
 * twin, and its skip edges counted by kind: what `skiplab models` prints.
 */
export function modelCatalog(names?: readonly string[]): CatalogEntry[] {
  const infos = listModels();
  for (const name of names ?? []) {
    if (!infos.some((m) => m.name === name)) throw new Error(`models: unknown model '${name}'; known models: ${infos.map((m) => m.name).join(', ')}`);
  }
  return infos.filter((info) => !names || names.includes(info.name)).map((info) => {
    const model = createModel(info.name, { rng: new StructureOnlyRng() });
    const skipEdges: Partial<Record<SkipKind, number>> = {};
    for (const edge of model.skips()) skipEdges[edge.kind] = (skipEdges[edge.kind] ?? 0) + 1;
    const hasTwin = info.skipOptions.includes('none');
    const plainParameters = hasTwin ? createModel(info.name, { rng: new StructureOnlyRng(), skip: 'none' }).parameterCount() : null;
    return { ...info, parameters: model.parameterCount(), plainParameters, skipEdges };
  });
}

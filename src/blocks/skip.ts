/**
 * How a block carries its input past its main path (DESIGN.md decision 1: a skip is a declared
 * thing). Every block states one of these kinds and every model lists its skip edges.
 *
 * - `identity`   y = F(x) + x                         (He et al. 2015, §3.2, eq. 1)
 * - `zero-pad`   y = F(x) + pad(x[:, :, ::s, ::s])    (option A, He et al. 2015 §3.3)
 * - `projection` y = F(x) + W_s x (1x1 conv + BN)     (options B/C, eq. 2)
 * - `gated`      y = H(x)·T(x) + x·(1 − T(x))         (Highway, Srivastava et al. 2015, eq. 3)
 * - `concat`     y = [x, F(x)] along channels         (DenseNet §3, U-Net's long skip)
 * - `none`       y = F(x)                             (the plain twin: same main path, no skip)
 */
export type SkipKind = 'identity' | 'zero-pad' | 'projection' | 'gated' | 'concat' | 'none';

/** Every kind, in a fixed order (for listings and validation). */
export const SKIP_KINDS: readonly SkipKind[] = ['identity', 'zero-pad', 'projection', 'gated', 'concat', 'none'];

/**
 * One skip edge of a model. `from` names the point whose value the skip carries and `to` the
 * module where it is merged back; both are module paths of the model (`'input'` is the model's
 * input, `'stem'` its first layers when they are not one module). `block` is the module path of
 * the block that owns the merge (what a lesion removes).
 *
 * A plain twin lists the same edges with kind `'none'`, so a residual model and its twin line up
 * edge by edge; filter on `kind !== 'none'` for the skips that really exist.
 */
export interface SkipEdge {
  from: string;
  to: string;
  kind: SkipKind;
  block: string;
}

/** A model that can list its skip edges. */
export interface HasSkips {
  /** Every skip edge of the model, in forward order (a plain twin lists the same edges with kind `none`). */
  skips(): SkipEdge[];
}

/**
 * The edges of a chain of blocks each skipping over itself (ResNet stages, highway stacks,
 * transformer layers): block i's skip carries the output of block i−1 (or `inputName`).
 */
export function chainSkips(blocks: readonly (readonly [string, { readonly skipKind: SkipKind }])[], inputName: string): SkipEdge[] {
  return blocks.map(([path, block], i) => ({
    from: i === 0 ? inputName : blocks[i - 1]![0],
    to: path,
    kind: block.skipKind,
    block: path,
  }));
}

/** One line per edge for `summary()` notes: `skip layer1.0 -> layer1.1 (identity)`. */
export function describeSkips(edges: readonly SkipEdge[]): string[] {
  const real = edges.filter((e) => e.kind !== 'none');
  if (real.length === 0) {
    return edges.length === 0 ? ['skips: none'] : [`skips: none (plain twin; ${edges.length} skip positions removed)`];
  }
  const counts = new Map<SkipKind, number>();
  for (const e of real) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  const tally = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  return [`skips: ${real.length} (${tally})`, ...real.map((e) => `  skip ${e.from} -> ${e.to} (${e.kind})`)];
}

/** Throw a clear error when `value` is not a known skip kind (options come from CLIs and JSON). */
export function checkSkipKind(value: string, where: string, allowed: readonly SkipKind[] = SKIP_KINDS): SkipKind {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${where}: skip '${value}' is not one of ${allowed.map((k) => `'${k}'`).join(', ')}`);
  }
  return value as SkipKind;
}

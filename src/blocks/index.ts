export { chainSkips, checkSkipKind, describeSkips, SKIP_KINDS, type HasSkips, type SkipEdge, type SkipKind } from './skip.js';
export {
  asSkipBlock, evaluateJunction, isAdditive, isSkipBlock, JunctionError, routeThrough, withoutBranch,
  type JunctionRule, type MergeKind, type SkipBlock, type SkipJunction,
} from './skip-block.js';
export { IdentityShortcut, makeShortcut, ProjectionShortcut, shortcutKindFor, ZeroPadShortcut, type ResidualSkip, type Shortcut, type ShortcutKind } from './shortcuts.js';
export { BasicBlock, Bottleneck, PreActBlock, ResidualBlock, type ResidualBlockOptions } from './residual.js';
export { DenseBlock, DenseLayer, Transition, type DenseBlockOptions, type DenseLayerOptions, type DenseSkip } from './dense.js';
export { ConvHighwayLayer, HighwayLayer, type HighwayOptions, type HighwaySkip } from './highway.js';
export { DoubleConv, UNetLevel, type OddSizePolicy, type UNetLevelOptions, type UNetSkip } from './unet-level.js';
export { Mlp, PreLNTransformerBlock, type PreLNTransformerBlockOptions, type TransformerSkip } from './pre-ln-transformer.js';
export { setIdentityWeights } from './identity-weights.js';

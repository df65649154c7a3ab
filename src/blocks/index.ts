export { chainSkips, checkSkipKind, describeSkips, SKIP_KINDS, type HasSkips, type SkipBlock, type SkipEdge, type SkipKind } from './skip.js';
export { IdentityShortcut, makeShortcut, ProjectionShortcut, ZeroPadShortcut, type Shortcut, type ShortcutOption } from './shortcuts.js';
export { BasicBlock, Bottleneck, PreActBlock, ResidualBlock, type ResidualBlockOptions } from './residual.js';
export { DenseBlock, DenseLayer, Transition, type DenseBlockOptions, type DenseLayerOptions } from './dense.js';
export { ConvHighwayLayer, HighwayLayer, type HighwayOptions } from './highway.js';
export { DoubleConv, UNetLevel, type OddSizePolicy, type UNetLevelOptions } from './unet-level.js';
export { Mlp, PreLNTransformerBlock, type PreLNTransformerBlockOptions } from './pre-ln-transformer.js';

export { chainSkips, checkSkipKind, describeSkips, SKIP_KINDS, type HasSkips, type SkipBlock, type SkipEdge, type SkipKind } from './skip.js';
export { IdentityShortcut, makeShortcut, ProjectionShortcut, ZeroPadShortcut, type Shortcut, type ShortcutOption } from './shortcuts.js';
export { BasicBlock, Bottleneck, PreActBlock, ResidualBlock, type ResidualBlockOptions } from './residual.js';

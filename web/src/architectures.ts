/** The lab's architecture choices (no model code here: the page imports this, the worker builds). */
import type { SkipKind } from '../../src/blocks/skip.js';

export const ARCHITECTURE_NAMES = ['mlp', 'convnet', 'resnet', 'highway', 'densenet', 'unet'] as const;
export type Architecture = (typeof ARCHITECTURE_NAMES)[number];

export interface ArchitectureInfo {
  label: string;
  /** Allowed depths (empty: the architecture has a fixed depth). */
  depths: number[];
  defaultDepth: number;
  defaultWidth: number;
  /** The skip kinds it can be built with, its own first; 'none' builds the plain twin. */
  skips: SkipKind[];
  widthLabel: string;
  depthLabel: string;
  /** Whether batch norm can be switched off (only the plain MLP: every other net needs it as built). */
  optionalBatchNorm: boolean;
  task: 'classification' | 'segmentation';
}

export const ARCHITECTURES: Record<Architecture, ArchitectureInfo> = {
  mlp: { label: 'MLP (fully connected)', depths: [2, 5, 10, 20, 30], defaultDepth: 2, defaultWidth: 64, skips: ['none'], widthLabel: 'units per layer', depthLabel: 'hidden layers', optionalBatchNorm: true, task: 'classification' },
  convnet: { label: 'Plain conv net', depths: [], defaultDepth: 0, defaultWidth: 8, skips: ['none'], widthLabel: 'channels', depthLabel: 'layers', optionalBatchNorm: false, task: 'classification' },
  // He et al. 2015 §4.2: depth 6n + 2.
  resnet: { label: 'ResNet (CIFAR style)', depths: [8, 14, 20, 26, 32, 44, 56], defaultDepth: 14, defaultWidth: 8, skips: ['identity', 'none'], widthLabel: 'base width', depthLabel: 'weighted layers', optionalBatchNorm: false, task: 'classification' },
  // Srivastava et al. 2015: one plain layer, then depth − 1 highway layers.
  highway: { label: 'Highway (fully connected)', depths: [2, 5, 10, 20, 30, 50], defaultDepth: 10, defaultWidth: 32, skips: ['gated', 'none'], widthLabel: 'units per layer', depthLabel: 'layers', optionalBatchNorm: false, task: 'classification' },
  // Huang et al. 2017 §3, the basic DenseNet of their Fig. 5: depth 3n + 4.
  densenet: { label: 'DenseNet', depths: [10, 16, 22, 28, 40], defaultDepth: 16, defaultWidth: 6, skips: ['concat', 'none'], widthLabel: 'growth rate k', depthLabel: 'weighted layers', optionalBatchNorm: false, task: 'classification' },
  // Ronneberger et al. 2015: `depth` poolings (4 in the paper).
  unet: { label: 'U-Net (segmentation)', depths: [1, 2, 3], defaultDepth: 2, defaultWidth: 8, skips: ['concat', 'none'], widthLabel: 'base width', depthLabel: 'levels (poolings)', optionalBatchNorm: false, task: 'segmentation' },
};

/** Human words for a skip kind in the controls. */
export const SKIP_LABELS: Record<SkipKind, string> = {
  identity: 'identity (residual)',
  'zero-pad': 'zero-padded identity',
  projection: '1x1 projection',
  gated: 'gated (highway)',
  concat: 'concatenation',
  none: 'none (plain twin)',
};

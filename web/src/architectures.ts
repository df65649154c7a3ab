/** The lab's architecture choices (no model code here: the page imports this, the worker builds). */
import type { Architecture } from './protocol.js';

export interface ArchitectureInfo {
  label: string;
  /** Allowed depths (empty: the architecture has a fixed depth). */
  depths: number[];
  hasSkips: boolean;
  widthLabel: string;
}

export const ARCHITECTURES: Record<Architecture, ArchitectureInfo> = {
  mlp: { label: 'MLP (784-w-w-10)', depths: [], hasSkips: false, widthLabel: 'hidden width' },
  convnet: { label: 'Plain conv net', depths: [], hasSkips: false, widthLabel: 'channels' },
  // He et al. 2015 §4.2: depth 6n + 2.
  resnet: { label: 'ResNet (CIFAR style)', depths: [8, 14, 20, 26, 32, 44, 56], hasSkips: true, widthLabel: 'base width' },
  // Srivastava et al. 2015: one plain layer, then depth − 1 highway layers.
  highway: { label: 'Highway (fully connected)', depths: [2, 5, 10, 20, 30, 50], hasSkips: true, widthLabel: 'units per layer' },
  // Huang et al. 2017 §3 DenseNet-BC: depth 6n + 4.
  densenet: { label: 'DenseNet-BC', depths: [10, 16, 22, 28, 40], hasSkips: true, widthLabel: 'growth rate k' },
};

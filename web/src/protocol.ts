/** Messages between the page (main.ts) and a training worker (worker.ts). One worker = one run. */
import type { LabDatasetName } from './asset.js';

export type Architecture = 'mlp' | 'convnet' | 'resnet' | 'highway' | 'densenet';

export interface LabSettings {
  dataset: LabDatasetName;
  architecture: Architecture;
  /** Weighted layers (ResNet 6n + 2, DenseNet-BC 6n + 4, highway layers + 1); MLP and conv net ignore it. */
  depth: number;
  /** ResNet base width, highway/MLP hidden width, conv-net width, DenseNet growth rate k. */
  width: number;
  /** false builds the plain twin: the same main path without its skips (DESIGN.md decision 1). */
  skip: boolean;
  /** Adam (Kingma & Ba 2015) is forgiving at these small batch sizes; SGD with momentum 0.9 is He et al.'s. */
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  batchSize: number;
  seed: number;
  /** Pause after this many steps (0 = train until paused). */
  maxSteps: number;
}

/** A box in the network diagram: a stem/head layer or a block that owns a skip. */
export interface DiagramNode {
  path: string;
  label: string;
}

/** A skip edge drawn as an arc over the block that owns it (`kind: 'none'` = removed in the twin). */
export interface DiagramEdge {
  block: string;
  kind: string;
}

export interface ModelDescription {
  title: string;
  parameters: number;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
  /** Blocks a lesion can delete (they have a shortcut, or keep their input's shape). */
  lesionable: string[];
  /** Weighted layers in forward order: one gradient bar each. */
  layers: string[];
}

export type ToWorker =
  | { type: 'init'; settings: LabSettings; dataUrl: string; kernelsUrl: string }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'lesion'; block: string }
  | { type: 'landscape'; points: number; range: number }
  | { type: 'export' }
  | { type: 'import'; bytes: ArrayBuffer; fileName: string };

export interface ProgressMessage {
  type: 'progress';
  step: number;
  epoch: number;
  /** Mean training loss and accuracy over the steps since the last message. */
  trainLoss: number;
  trainAccuracy: number;
  stepsPerSecond: number;
  /** ‖∂L/∂W‖ per weighted layer at the latest step, in `layers` order. */
  gradientNorms: number[];
}

export type FromWorker =
  | { type: 'ready'; backend: string; model: ModelDescription; settings: LabSettings }
  | ProgressMessage
  | { type: 'evaluation'; step: number; testLoss: number; testAccuracy: number }
  | { type: 'running'; running: boolean; step: number }
  | { type: 'lesion'; block: string; baselineAccuracy: number; lesionedAccuracy: number }
  | { type: 'landscape'; alphas: number[]; losses: number[] }
  | { type: 'exported'; bytes: ArrayBuffer; fileName: string }
  | { type: 'imported'; fileName: string; tensors: number; testAccuracy: number }
  | { type: 'error'; message: string };

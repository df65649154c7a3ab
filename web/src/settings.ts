/**
 * One run's settings, checked with zod (errors name the field), and the page URL that carries a
 * whole lab session — a preset and its seed, or every setting of a free run — so a link
 * reproduces what its sender saw.
 */
import { z } from 'zod';
import { SKIP_KINDS, type SkipKind } from '../../src/blocks/skip.js';
import { ARCHITECTURE_NAMES, ARCHITECTURES, type Architecture } from './architectures.js';
import { LAB_DATASETS, type LabDatasetName } from './asset.js';

export interface LabSettings {
  dataset: LabDatasetName;
  architecture: Architecture;
  /** Depth as the architecture counts it (ARCHITECTURES[a].depthLabel); 0 for fixed-depth nets. */
  depth: number;
  /** ResNet base width, MLP/highway units, conv-net channels, DenseNet growth rate k, U-Net base width. */
  width: number;
  /** The architecture's own skip kind, or 'none' for its plain twin (DESIGN.md decision 1). */
  skip: SkipKind;
  /** Batch norm in the MLP's hidden layers (every other architecture has it as built). */
  batchNorm: boolean;
  /** Adam (Kingma & Ba 2015) is forgiving at these small batch sizes; SGD with momentum 0.9 is He et al.'s. */
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  batchSize: number;
  seed: number;
  /** Pause after this many steps (0 = train until paused). */
  maxSteps: number;
}

const settingsShape = z.object({
  dataset: z.enum(LAB_DATASETS),
  architecture: z.enum(ARCHITECTURE_NAMES),
  depth: z.number().int().min(0),
  width: z.number().int().min(1).max(256),
  skip: z.enum(SKIP_KINDS as [SkipKind, ...SkipKind[]]),
  batchNorm: z.boolean(),
  optimizer: z.enum(['adam', 'sgd']),
  learningRate: z.number().gt(0).max(2),
  batchSize: z.number().int().min(1).max(512),
  seed: z.number().int().min(0).max(2147483647),
  maxSteps: z.number().int().min(0).max(1_000_000),
}).strict();

/** Settings checked field by field and against the architecture (depth, skip kind, data set). */
export function checkSettings(value: unknown, where: string): LabSettings {
  const parsed = settingsShape.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${where}: ${issue.path.join('.') || 'settings'}: ${issue.message}`);
  }
  const s = parsed.data;
  const info = ARCHITECTURES[s.architecture];
  if (info.depths.length > 0 && !info.depths.includes(s.depth)) throw new Error(`${where}: depth: ${s.depth} is not one of ${info.depths.join(', ')} for ${info.label}`);
  if (!info.skips.includes(s.skip)) throw new Error(`${where}: skip: '${s.skip}' is not one of ${info.skips.map((k) => `'${k}'`).join(', ')} for ${info.label}`);
  if (s.batchNorm === false && !info.optionalBatchNorm) throw new Error(`${where}: batchNorm: ${info.label} is built with batch norm`);
  const segmentation = s.dataset === 'digit-segmentation';
  if (segmentation !== (info.task === 'segmentation')) {
    throw new Error(`${where}: dataset: ${info.label} ${info.task === 'segmentation' ? 'needs the digit-segmentation set' : `classifies images; '${s.dataset}' is a segmentation set`}`);
  }
  return { ...s, depth: info.depths.length > 0 ? s.depth : 0 };
}

/** The settings an architecture starts from in the free lab. */
export function defaultSettings(architecture: Architecture = 'resnet'): LabSettings {
  const info = ARCHITECTURES[architecture];
  return {
    dataset: info.task === 'segmentation' ? 'digit-segmentation' : 'mnist', architecture, depth: info.defaultDepth, width: info.defaultWidth,
    skip: info.skips[0]!, batchNorm: true, optimizer: 'adam', learningRate: 0.003, batchSize: 32, seed: 1, maxSteps: 300,
  };
}

/** What the page shows: a guided preset (its runs are fixed, the seed may change) or a free run. */
export type LabSession =
  | { kind: 'preset'; preset: string; seed: number }
  | { kind: 'free'; settings: LabSettings; twin: boolean };

/** URL parameter ↔ setting, short enough to share. */
const PARAMETERS: [keyof LabSettings, string][] = [
  ['dataset', 'data'], ['architecture', 'arch'], ['depth', 'depth'], ['width', 'width'], ['skip', 'skip'], ['batchNorm', 'bn'],
  ['optimizer', 'opt'], ['learningRate', 'lr'], ['batchSize', 'batch'], ['seed', 'seed'], ['maxSteps', 'steps'],
];

export function sessionToQuery(session: LabSession): string {
  const query = new URLSearchParams();
  if (session.kind === 'preset') {
    query.set('preset', session.preset);
    query.set('seed', String(session.seed));
  } else {
    for (const [key, name] of PARAMETERS) {
      const value = session.settings[key];
      query.set(name, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
    }
    query.set('twin', session.twin ? '1' : '0');
  }
  return `?${query.toString()}`;
}

/**
 * The session a URL query describes, or null for none (the page's default). A query that names
 * settings but gets one wrong throws, naming the parameter.
 */
export function sessionFromQuery(search: string, presetIds: readonly string[]): LabSession | null {
  const query = new URLSearchParams(search);
  const integer = (name: string, fallback: number): number => {
    const raw = query.get(name);
    if (raw === null) return fallback;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`link parameter '${name}': '${raw}' is not a number`);
    return value;
  };
  const preset = query.get('preset');
  if (preset !== null) {
    if (!presetIds.includes(preset)) throw new Error(`link parameter 'preset': '${preset}' is not one of ${presetIds.join(', ')}`);
    const seed = integer('seed', 1);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`link parameter 'seed': ${seed} is not a whole number ≥ 0`);
    return { kind: 'preset', preset, seed };
  }
  if (!PARAMETERS.some(([, name]) => query.has(name))) return null;
  const architecture = query.get('arch') ?? 'resnet';
  if (!(ARCHITECTURE_NAMES as readonly string[]).includes(architecture)) {
    throw new Error(`link parameter 'arch': '${architecture}' is not one of ${ARCHITECTURE_NAMES.join(', ')}`);
  }
  const base = defaultSettings(architecture as Architecture);
  const raw: Record<string, unknown> = { ...base };
  for (const [key, name] of PARAMETERS) {
    const value = query.get(name);
    if (value === null) continue;
    const current = base[key];
    raw[key] = typeof current === 'number' ? integer(name, current) : typeof current === 'boolean' ? value === '1' || value === 'true' : value;
  }
  const names = new Map(PARAMETERS.map(([key, name]) => [key as string, name]));
  try {
    return { kind: 'free', settings: checkSettings(raw, 'link'), twin: query.get('twin') !== '0' };
  } catch (error) {
    // Name the URL parameter rather than the settings field.
    throw new Error((error as Error).message.replace(/^link: (\w+):/, (_, field: string) => `link parameter '${names.get(field) ?? field}':`));
  }
}

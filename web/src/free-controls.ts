/** The free lab's form: every setting of a run, read into checked LabSettings and written back from a link. */
import { ARCHITECTURE_NAMES, ARCHITECTURES, SKIP_LABELS, type Architecture } from './architectures.js';
import { byId } from './dom.js';
import { checkSettings, defaultSettings, type LabSettings } from './settings.js';


const controls = {
  dataset: byId<HTMLSelectElement>('dataset'),
  architecture: byId<HTMLSelectElement>('architecture'),
  depth: byId<HTMLSelectElement>('depth'),
  depthLabel: byId<HTMLLabelElement>('depth-label'),
  width: byId<HTMLInputElement>('width'),
  widthLabel: byId<HTMLLabelElement>('width-label'),
  skip: byId<HTMLSelectElement>('skip'),
  batchNorm: byId<HTMLInputElement>('batch-norm'),
  compare: byId<HTMLInputElement>('compare'),
  optimizer: byId<HTMLSelectElement>('optimizer'),
  learningRate: byId<HTMLInputElement>('learning-rate'),
  batchSize: byId<HTMLInputElement>('batch-size'),
  maxSteps: byId<HTMLInputElement>('max-steps'),
};

/** Set the architecture-dependent choices (depths, skip kinds, batch norm, data set) to its defaults. */
function architectureChanged(): void {
  const arch = controls.architecture.value as Architecture;
  const info = ARCHITECTURES[arch];
  const defaults = defaultSettings(arch);
  controls.depth.replaceChildren(...(info.depths.length ? info.depths : [0]).map((d) => new Option(d ? String(d) : 'fixed', String(d))));
  controls.depth.value = String(defaults.depth);
  controls.depth.disabled = info.depths.length === 0;
  controls.depthLabel.textContent = `Depth (${info.depthLabel})`;
  controls.width.value = String(defaults.width);
  controls.widthLabel.textContent = `Width (${info.widthLabel})`;
  controls.skip.replaceChildren(...info.skips.map((k) => new Option(SKIP_LABELS[k], k)));
  controls.skip.disabled = info.skips.length === 1;
  controls.batchNorm.checked = true;
  controls.batchNorm.disabled = !info.optionalBatchNorm;
  controls.compare.disabled = info.skips.length === 1;
  const segmentation = info.task === 'segmentation';
  if (segmentation !== (controls.dataset.value === 'digit-segmentation')) controls.dataset.value = defaults.dataset;
  for (const option of controls.dataset.options) option.disabled = (option.value === 'digit-segmentation') !== segmentation;
}

/** Fill the architecture list and call `changed` whenever a setting changes. */
export function wireFreeControls(changed: () => void): void {
  controls.architecture.replaceChildren(...ARCHITECTURE_NAMES.map((a) => new Option(ARCHITECTURES[a].label, a)));
  controls.architecture.value = 'resnet';
  architectureChanged();
  controls.architecture.addEventListener('change', architectureChanged);
  controls.optimizer.addEventListener('change', () => {
    controls.learningRate.value = controls.optimizer.value === 'sgd' ? '0.05' : '0.003';
  });
  byId('free-lab').addEventListener('change', changed);
}

function numberFrom(input: HTMLInputElement, name: string, integer: boolean): number {
  const value = Number(input.value);
  const min = Number(input.min);
  const max = input.max ? Number(input.max) : Infinity;
  if (input.value.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'a whole number' : 'a number'} from ${min}${Number.isFinite(max) ? ` to ${max}` : ''}, got '${input.value}'`);
  }
  return value;
}

export function readFreeSettings(seed: number): { settings: LabSettings; twin: boolean } {
  const architecture = controls.architecture.value as Architecture;
  const settings = checkSettings({
    dataset: controls.dataset.value,
    architecture,
    depth: Number(controls.depth.value),
    width: numberFrom(controls.width, 'Width', true),
    skip: controls.skip.value,
    batchNorm: controls.batchNorm.checked,
    optimizer: controls.optimizer.value,
    learningRate: numberFrom(controls.learningRate, 'Learning rate', false),
    batchSize: numberFrom(controls.batchSize, 'Batch size', true),
    seed,
    maxSteps: numberFrom(controls.maxSteps, 'Stop after steps', true),
  }, 'settings');
  return { settings, twin: controls.compare.checked };
}

/** Show `settings` in the form (a link's, or a preset's first run when null). */
export function writeFreeSettings(settings: LabSettings | null, twin: boolean): void {
  if (!settings) return;
  controls.architecture.value = settings.architecture;
  architectureChanged();
  controls.dataset.value = settings.dataset;
  controls.depth.value = String(settings.depth);
  controls.width.value = String(settings.width);
  controls.skip.value = settings.skip;
  controls.batchNorm.checked = settings.batchNorm;
  controls.compare.checked = twin;
  controls.optimizer.value = settings.optimizer;
  controls.learningRate.value = String(settings.learningRate);
  controls.batchSize.value = String(settings.batchSize);
  controls.maxSteps.value = String(settings.maxSteps);
}

/**
 * Learning-rate schedules as pure functions of the step (0-based), so a resumed run recomputes
 * exactly the rate it would have had.
 */
export type LrSchedule = (step: number) => number;

/** Constant rate. */
export const constantLr = (lr: number): LrSchedule => () => lr;

/** Multiply by `gamma` at each milestone step (PyTorch's MultiStepLR, counted in steps). */
export function multiStepLr(lr: number, milestones: readonly number[], gamma = 0.1): LrSchedule {
  const sorted = [...milestones].sort((a, b) => a - b);
  return (step) => lr * Math.pow(gamma, sorted.filter((m) => step >= m).length);
}

/** Cosine annealing from `lr` to `minLr` over `totalSteps` (Loshchilov & Hutter 2017, without restarts). */
export function cosineLr(lr: number, totalSteps: number, minLr = 0): LrSchedule {
  return (step) => minLr + 0.5 * (lr - minLr) * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps));
}

/** Linear warm-up from `startFactor`·rate to the full rate over `warmupSteps`, then `after`. */
export function linearWarmup(after: LrSchedule, warmupSteps: number, startFactor = 0.1): LrSchedule {
  return (step) => {
    if (step >= warmupSteps) return after(step);
    const f = startFactor + (1 - startFactor) * (step / warmupSteps);
    return after(step) * f;
  };
}

/** `lr` for the first `steps` steps, then `after` at the same step (He et al. 2015 §4.2: 0.01 for ResNet-110's first 400 iterations). */
export function constantWarmup(after: LrSchedule, steps: number, lr: number): LrSchedule {
  return (step) => (step < steps ? lr : after(step));
}

/** The fields of a training config (`TrainConfig`) that set its learning rate over the steps. */
export interface ScheduleConfig {
  lr: number;
  schedule: 'constant' | 'step' | 'cosine';
  epochs: number;
  warmupEpochs: number;
  constantWarmup?: { lr: number; steps: number };
}

/**
 * The schedule a training config describes, over `batchesPerEpoch` × epochs steps: 'step' divides
 * by 10 at 50 % and 75 % of the steps, 'cosine' anneals to 0, then either warm-up in front.
 */
export function learningRateSchedule(config: ScheduleConfig, batchesPerEpoch: number): LrSchedule {
  const totalSteps = config.epochs * batchesPerEpoch;
  let schedule: LrSchedule =
    config.schedule === 'step' ? multiStepLr(config.lr, [Math.round(totalSteps * 0.5), Math.round(totalSteps * 0.75)])
      : config.schedule === 'cosine' ? cosineLr(config.lr, totalSteps)
        : constantLr(config.lr);
  const conflict = warmupConflict(config);
  if (conflict) throw new Error(`learningRateSchedule: ${conflict}`);
  if (config.warmupEpochs > 0) schedule = linearWarmup(schedule, Math.round(config.warmupEpochs * batchesPerEpoch));
  if (config.constantWarmup) schedule = constantWarmup(schedule, config.constantWarmup.steps, config.constantWarmup.lr);
  return schedule;
}

/** Why a config's two warm-ups cannot both apply, or null: a ramp and a constant rate over the same first steps contradict each other. */
export function warmupConflict(config: Pick<ScheduleConfig, 'warmupEpochs' | 'constantWarmup'>): string | null {
  return config.warmupEpochs > 0 && config.constantWarmup
    ? `warmupEpochs (${config.warmupEpochs}) and constantWarmup (lr ${config.constantWarmup.lr} for ${config.constantWarmup.steps} steps) are two warm-ups; give one`
    : null;
}

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

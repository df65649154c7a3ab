export { record, type BackwardFn } from './tape.js';
export { traceOps, type OpName, type OpObserver, type TracedOp, type TracedOpAttributes } from './trace.js';
export { enableGrad, isGradEnabled, noGrad } from './no-grad.js';
export { operandPrecision, withPrecision } from './precision.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export * from './functions/index.js';

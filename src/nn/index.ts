export * from './layers/index.js';
export { Buffer, Module, Parameter, type BackwardHook, type ForwardHook, type ForwardPreHook, type StateDict } from './module.js';
export { summarize, type ModuleSummary, type SummaryRow } from './summary.js';
/** Weight initialisers as PyTorch's `torch.nn.init` (in place, from a given `Rng`). */
export * as init from './init.js';
/** Stateless versions of the layers (PyTorch's `torch.nn.functional`): conv2d, relu, softmax, crossEntropy, … */
export * as functional from './functional.js';

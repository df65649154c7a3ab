export * from './layers/index.js';
export { Buffer, Module, Parameter, type BackwardHook, type ForwardHook, type ForwardPreHook, type StateDict } from './module.js';
export { summarize, type ModuleSummary, type SummaryRow } from './summary.js';
export * as init from './init.js';
export * as functional from './functional.js';

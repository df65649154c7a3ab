import type { BatchNormParams, Shape } from '../backend.js';

const pending = (name: string): never => {
  throw new Error(`${name}: the TypeScript kernel is being written (see src/backend/ts/batch-norm.ts)`);
};

export function batchNormForward(
  _x: Float32Array, _xShape: Shape, _gamma: Float32Array | null, _beta: Float32Array | null,
  _runningMean: Float32Array | null, _runningVar: Float32Array | null, _p: BatchNormParams,
  _out: Float32Array, _saveMean: Float32Array, _saveInvStd: Float32Array,
): void {
  pending('batchNormForward');
}
export function batchNormBackward(
  _x: Float32Array, _xShape: Shape, _dy: Float32Array, _gamma: Float32Array | null,
  _saveMean: Float32Array, _saveInvStd: Float32Array, _training: boolean,
  _dx: Float32Array, _dgamma: Float32Array | null, _dbeta: Float32Array | null,
): void {
  pending('batchNormBackward');
}

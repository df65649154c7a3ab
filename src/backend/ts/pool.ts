import type { AvgPool2dParams, MaxPool2dParams, Shape } from '../backend.js';

const pending = (name: string): never => {
  throw new Error(`${name}: the TypeScript kernel is being written (see src/backend/ts/pool.ts)`);
};

export function maxPool2dForward(_x: Float32Array, _xShape: Shape, _p: MaxPool2dParams, _out: Float32Array, _outShape: Shape, _argmax: Int32Array): void {
  pending('maxPool2dForward');
}
export function maxPool2dBackward(_dy: Float32Array, _argmax: Int32Array, _dx: Float32Array): void {
  pending('maxPool2dBackward');
}
export function avgPool2dForward(_x: Float32Array, _xShape: Shape, _p: AvgPool2dParams, _out: Float32Array, _outShape: Shape): void {
  pending('avgPool2dForward');
}
export function avgPool2dBackward(_dy: Float32Array, _dyShape: Shape, _p: AvgPool2dParams, _dx: Float32Array, _dxShape: Shape): void {
  pending('avgPool2dBackward');
}
export function adaptiveAvgPool2dForward(_x: Float32Array, _xShape: Shape, _out: Float32Array, _outShape: Shape): void {
  pending('adaptiveAvgPool2dForward');
}
export function adaptiveAvgPool2dBackward(_dy: Float32Array, _dyShape: Shape, _dx: Float32Array, _dxShape: Shape): void {
  pending('adaptiveAvgPool2dBackward');
}

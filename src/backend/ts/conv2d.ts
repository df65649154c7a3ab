import type { Conv2dParams, Shape } from '../backend.js';

const pending = (name: string): never => {
  throw new Error(`${name}: the TypeScript kernel is being written (see src/backend/ts/conv2d.ts)`);
};

export function conv2dForward(_x: Float32Array, _xShape: Shape, _w: Float32Array, _wShape: Shape, _bias: Float32Array | null, _p: Conv2dParams, _out: Float32Array, _outShape: Shape): void {
  pending('conv2dForward');
}
export function conv2dBackwardInput(_dy: Float32Array, _dyShape: Shape, _w: Float32Array, _wShape: Shape, _p: Conv2dParams, _dx: Float32Array, _dxShape: Shape): void {
  pending('conv2dBackwardInput');
}
export function conv2dBackwardWeight(_x: Float32Array, _xShape: Shape, _dy: Float32Array, _dyShape: Shape, _p: Conv2dParams, _dw: Float32Array, _dwShape: Shape): void {
  pending('conv2dBackwardWeight');
}

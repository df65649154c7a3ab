const pending = (name: string): never => {
  throw new Error(`${name}: the TypeScript kernel is being written (see src/backend/ts/layer-norm.ts)`);
};

export function layerNormForward(
  _x: Float32Array, _rows: number, _cols: number, _gamma: Float32Array | null, _beta: Float32Array | null,
  _eps: number, _out: Float32Array, _saveMean: Float32Array, _saveInvStd: Float32Array,
): void {
  pending('layerNormForward');
}
export function layerNormBackward(
  _x: Float32Array, _rows: number, _cols: number, _dy: Float32Array, _gamma: Float32Array | null,
  _saveMean: Float32Array, _saveInvStd: Float32Array,
  _dx: Float32Array, _dgamma: Float32Array | null, _dbeta: Float32Array | null,
): void {
  pending('layerNormBackward');
}

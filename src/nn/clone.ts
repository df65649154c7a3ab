import { Tensor } from '../tensor/tensor.js';
import { Buffer, Module, Parameter } from './module.js';

/**
 * An independent copy of a module tree (PyTorch's `copy.deepcopy(model)`), for surgery that must
 * return a new model instead of changing the caller's (STYLE.md habit 9): the same classes and
 * configuration, every parameter and buffer copied, in training mode as the original, with no
 * hooks and no gradients. Objects reached through fields (sub-modules, arrays, the generators
 * that drive dropout) are copied once each, so shared references stay shared inside the copy and
 * drawing from the copy's generators leaves the original's untouched. Functions are shared.
 */
export function cloneModule<T extends Module>(module: T): T {
  return copyValue(module, new Map()) as T;
}

function copyValue(value: unknown, copies: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const done = copies.get(value);
  if (done !== undefined) return done;
  if (value instanceof Tensor) return copyTensor(value, copies);
  if (ArrayBuffer.isView(value)) {
    const copy = (value as unknown as { slice(): unknown }).slice();
    copies.set(value, copy);
    return copy;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (const item of value) copy.push(copyValue(item, copies));
    return Object.isFrozen(value) ? Object.freeze(copy) : copy;
  }
  if (value instanceof Map || value instanceof Set) {
    throw new Error(`cloneModule: a ${value.constructor.name} field cannot be copied; hold modules and tensors in fields or arrays`);
  }
  // A class instance (a module, a generator) or a plain object: same prototype, fields copied
  // in their order (which, for a module, is its state-dict order).
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  copies.set(value, copy);
  for (const [key, field] of Object.entries(value)) {
    copy[key] = value instanceof Module && key === 'hooks' ? null : copyValue(field, copies);
  }
  return copy;
}

function copyTensor(t: Tensor, copies: Map<object, unknown>): Tensor {
  const data = t.data.slice();
  const copy = t instanceof Parameter ? new Parameter(data as Float32Array, t.shape) : t instanceof Buffer ? new Buffer(data, t.shape) : new Tensor(data, t.shape);
  copies.set(t, copy);
  return copy;
}

import type { Tensor } from '../../tensor/tensor.js';
import { onnx, type OnnxProto } from './onnx-schema.js';

/** An ONNX node attribute value: ints and floats are told apart explicitly (ONNX types them). */
export type AttributeValue =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly floats: readonly number[] };

const DataType = onnx.TensorProto.DataType;

function littleEndianBytes(array: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  // Typed arrays use the platform's byte order; ONNX raw_data is little-endian.
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength).slice();
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!littleEndian) {
    const width = array.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
  }
  return bytes;
}

/**
 * Collects the nodes and initializers of one ONNX graph in execution order and hands out unique
 * value names. Tensors are named once: the graph input, parameters by state-dict key, op results
 * by the op that made them, anything else as a constant initializer holding its values.
 */
export class GraphBuilder {
  readonly nodes: OnnxProto.INodeProto[] = [];
  readonly initializers: OnnxProto.ITensorProto[] = [];
  private readonly names = new Map<Tensor, string>();
  private readonly used = new Set<string>();
  private counter = 0;

  /** A name not used yet, derived from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Give `tensor` the value name `name` (one from `fresh`). */
  bind(tensor: Tensor, name: string): string {
    if (!this.used.has(name)) throw new Error(`ONNX export: value name '${name}' was not handed out by fresh()`);
    this.names.set(tensor, name);
    return name;
  }

  nameOf(tensor: Tensor): string | undefined {
    return this.names.get(tensor);
  }

  /** The value name of `tensor`; a tensor nobody produced becomes an initializer under `hint`. */
  value(tensor: Tensor, hint: string): string {
    const known = this.names.get(tensor);
    if (known !== undefined) return known;
    const name = this.fresh(hint);
    this.names.set(tensor, name);
    this.addInitializer(name, tensor.shape, tensor.dtype === 'int32' ? tensor.i32 : tensor.f32);
    return name;
  }

  addInitializer(name: string, dims: readonly number[], data: Float32Array | Int32Array | BigInt64Array): void {
    const dataType = data instanceof Float32Array ? DataType.FLOAT : data instanceof Int32Array ? DataType.INT32 : DataType.INT64;
    this.initializers.push({ name, dims: [...dims], dataType, rawData: littleEndianBytes(data) });
  }

  /** An int64 1-D constant (shapes, axes, pads), as ONNX wants for those inputs. */
  int64Constant(hint: string, values: readonly number[]): string {
    const name = this.fresh(hint);
    this.addInitializer(name, [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
    return name;
  }

  /** A float32 constant of `dims` (a scalar when dims is []). */
  floatConstant(hint: string, values: readonly number[], dims: readonly number[] = []): string {
    const name = this.fresh(hint);
    this.addInitializer(name, dims, Float32Array.from(values));
    return name;
  }

  /** Append a node; returns its (first) output name. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}): string {
    const attribute: OnnxProto.IAttributeProto[] = Object.entries(attributes).map(([name, v]) => {
      const A = onnx.AttributeProto.AttributeType;
      if ('int' in v) return { name, type: A.INT, i: v.int };
      if ('ints' in v) return { name, type: A.INTS, ints: [...v.ints] };
      if ('float' in v) return { name, type: A.FLOAT, f: v.float };
      return { name, type: A.FLOATS, floats: [...v.floats] };
    });
    this.nodes.push({ opType, input: [...inputs], output: [...outputs], name: this.fresh(`${outputs[0]}/${opType}`), attribute });
    return outputs[0]!;
  }
}

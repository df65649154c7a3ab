// The ONNX protobuf schema as compiled by the `onnx-proto` package (ONNX 1.10's onnx.proto, IR
// version 8, which is the IR that opset 17 needs). It is CommonJS, so it arrives as a default import.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type { onnx as OnnxProto } from 'onnx-proto';

/** Opset of the default ONNX domain every exported graph imports. */
export const OPSET_VERSION = 17;
/** ONNX IR version 8 (ONNX 1.12+) is the one that carries opset 17. */
export const IR_VERSION = 8;

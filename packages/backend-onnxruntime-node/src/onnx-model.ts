/**
 * Encodes a small subset of ONNX's `ModelProto` (onnx/onnx.proto) with {@link ProtoWriter}:
 * a graph of nodes with int/float/ints attributes, typed inputs and outputs with symbolic or
 * fixed dimensions, and raw-data initializers.
 */
import { ProtoWriter } from './protobuf.js';

/** ONNX `TensorProto.DataType` values used here. @internal */
export const OnnxDataType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
} as const;

/** An ONNX element type. @internal */
export type OnnxDataTypeValue = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** An attribute value: integer, float or list of integers. @internal */
export type OnnxAttribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] };

/** One graph node. @internal */
export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** A graph input or output: name, element type, and dims (number = fixed, string = symbolic). @internal */
export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: OnnxDataTypeValue;
  readonly dims: ReadonlyArray<number | string>;
}

/** A constant tensor stored in the model (little-endian raw bytes). @internal */
export interface OnnxInitializer {
  readonly name: string;
  readonly dataType: OnnxDataTypeValue;
  readonly dims: readonly number[];
  readonly data: Float32Array | Int32Array | BigInt64Array;
}

/** A model: one graph and the default-domain opset it targets. @internal */
export interface OnnxModel {
  readonly irVersion: number;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers?: readonly OnnxInitializer[];
}

// Field numbers from onnx/onnx.proto.
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
const OPSET_ID = { domain: 1, version: 2 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTRIBUTE = { name: 1, f: 2, i: 3, ints: 8, type: 20 } as const;
const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, INTS: 7 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TYPE_TENSOR = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIMENSION = { dimValue: 1, dimParam: 2 } as const;

function encodeAttribute(name: string, attr: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(ATTRIBUTE.name, name);
  switch (attr.kind) {
    case 'int':
      w.int64(ATTRIBUTE.i, attr.value).int64(ATTRIBUTE.type, ATTRIBUTE_TYPE.INT);
      break;
    case 'float':
      w.float(ATTRIBUTE.f, attr.value).int64(ATTRIBUTE.type, ATTRIBUTE_TYPE.FLOAT);
      break;
    case 'ints':
      w.packedInt64(ATTRIBUTE.ints, attr.value).int64(ATTRIBUTE.type, ATTRIBUTE_TYPE.INTS);
      break;
  }
  return w;
}

function encodeNode(node: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of node.inputs) w.string(NODE.input, i);
  for (const o of node.outputs) w.string(NODE.output, o);
  if (node.name !== undefined) w.string(NODE.name, node.name);
  w.string(NODE.opType, node.opType);
  for (const [name, attr] of Object.entries(node.attributes ?? {})) w.message(NODE.attribute, encodeAttribute(name, attr));
  return w;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int64(DIMENSION.dimValue, d);
    else dim.string(DIMENSION.dimParam, d);
    shape.message(SHAPE.dim, dim);
  }
  const tensorType = new ProtoWriter().int64(TYPE_TENSOR.elemType, v.elemType).message(TYPE_TENSOR.shape, shape);
  const type = new ProtoWriter().message(TYPE.tensorType, tensorType);
  return new ProtoWriter().string(VALUE_INFO.name, v.name).message(VALUE_INFO.type, type);
}

function encodeInitializer(t: OnnxInitializer): ProtoWriter {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) {
    throw new RangeError(`onnx: initializer '${t.name}' has dims [${t.dims.join(', ')}] but ${t.data.length} values.`);
  }
  // Typed arrays are little-endian on every platform onnxruntime-node ships for.
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return new ProtoWriter()
    .packedInt64(TENSOR.dims, t.dims)
    .int64(TENSOR.dataType, t.dataType)
    .string(TENSOR.name, t.name)
    .bytes(TENSOR.rawData, raw);
}

/**
 * Serialises `model` as ONNX `ModelProto` bytes, ready for `InferenceSession.create`; into
 * `into` when it is large enough (see {@link ProtoWriter.finish}). @internal
 */
export function encodeOnnxModel(model: OnnxModel, into?: Uint8Array): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of model.nodes) graph.message(GRAPH.node, encodeNode(n));
  graph.string(GRAPH.name, model.graphName);
  for (const t of model.initializers ?? []) graph.message(GRAPH.initializer, encodeInitializer(t));
  for (const i of model.inputs) graph.message(GRAPH.input, encodeValueInfo(i));
  for (const o of model.outputs) graph.message(GRAPH.output, encodeValueInfo(o));
  const opset = new ProtoWriter().string(OPSET_ID.domain, '').int64(OPSET_ID.version, model.opsetVersion);
  return new ProtoWriter()
    .int64(MODEL.irVersion, model.irVersion)
    .string(MODEL.producerName, model.producerName)
    .message(MODEL.graph, graph)
    .message(MODEL.opsetImport, opset)
    .finish(into);
}

import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxDataType, encodeOnnxModel } from '../src/onnx-model.js';
import { buildChunkModel } from '../src/similarity-graph.js';
import { asInt64, bytesOf, get, one, packedVarints, readFields, text, varintOf } from './proto-reader.js';

describe('encodeOnnxModel', () => {
  const model = encodeOnnxModel({
    irVersion: 8,
    opsetVersion: 17,
    producerName: 'test',
    graphName: 'g',
    nodes: [
      {
        opType: 'Gemm',
        name: 'mm',
        inputs: ['a', 'w'],
        outputs: ['y'],
        attributes: { transB: { kind: 'int', value: 1 }, alpha: { kind: 'float', value: 2 } },
      },
      {
        opType: 'ReduceMax',
        inputs: ['y'],
        outputs: ['z'],
        attributes: { axes: { kind: 'ints', value: [-1] }, keepdims: { kind: 'int', value: 0 } },
      },
    ],
    inputs: [{ name: 'a', elemType: OnnxDataType.FLOAT, dims: ['rows', 3] }],
    outputs: [{ name: 'z', elemType: OnnxDataType.FLOAT, dims: ['rows'] }],
    initializers: [{ name: 'w', dataType: OnnxDataType.FLOAT, dims: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, -6) }],
  });

  it('writes the ModelProto fields of onnx.proto (decoded by an independent reader)', () => {
    const m = readFields(model);
    expect(varintOf(one(m, 1))).toBe(8n); // ir_version
    expect(text(bytesOf(one(m, 2)))).toBe('test'); // producer_name
    const opset = readFields(bytesOf(one(m, 8)));
    expect(text(bytesOf(one(opset, 1)))).toBe('');
    expect(varintOf(one(opset, 2))).toBe(17n);
    const g = readFields(bytesOf(one(m, 7)));
    expect(text(bytesOf(one(g, 2)))).toBe('g');
    const nodes = get(g, 1).map((f) => readFields(bytesOf(f)));
    expect(nodes.map((n) => text(bytesOf(one(n, 4))))).toEqual(['Gemm', 'ReduceMax']);
    expect(get(nodes[0]!, 1).map((f) => text(bytesOf(f)))).toEqual(['a', 'w']);
    expect(get(nodes[0]!, 2).map((f) => text(bytesOf(f)))).toEqual(['y']);
    expect(text(bytesOf(one(nodes[0]!, 3)))).toBe('mm');
    const attrs = get(nodes[0]!, 5).map((f) => readFields(bytesOf(f)));
    expect(text(bytesOf(one(attrs[0]!, 1)))).toBe('transB');
    expect(varintOf(one(attrs[0]!, 3))).toBe(1n);
    expect(varintOf(one(attrs[0]!, 20))).toBe(2n); // INT
    const alpha = one(attrs[1]!, 2);
    expect(alpha.wire).toBe(5);
    expect(varintOf(one(attrs[1]!, 20))).toBe(1n); // FLOAT
    const axes = readFields(bytesOf(get(nodes[1]!, 5)[0]!));
    expect(packedVarints(bytesOf(one(axes, 8)))).toEqual([-1]);
    expect(varintOf(one(axes, 20))).toBe(7n); // INTS
    // initializer
    const init = readFields(bytesOf(one(g, 5)));
    expect(packedVarints(bytesOf(one(init, 1)))).toEqual([2, 3]);
    expect(varintOf(one(init, 2))).toBe(1n);
    expect(text(bytesOf(one(init, 8)))).toBe('w');
    const raw = bytesOf(one(init, 9));
    expect(Array.from(new Float32Array(raw.slice().buffer))).toEqual([1, 2, 3, 4, 5, -6]);
    // input value info: name, tensor type FLOAT, dims ['rows', 3]
    const input = readFields(bytesOf(one(g, 11)));
    expect(text(bytesOf(one(input, 1)))).toBe('a');
    const tensorType = readFields(bytesOf(one(readFields(bytesOf(one(input, 2))), 1)));
    expect(varintOf(one(tensorType, 1))).toBe(1n);
    const dims = get(readFields(bytesOf(one(tensorType, 2))), 1).map((f) => readFields(bytesOf(f)));
    expect(text(bytesOf(one(dims[0]!, 2)))).toBe('rows');
    expect(asInt64(varintOf(one(dims[1]!, 1)))).toBe(3);
    expect(text(bytesOf(one(readFields(bytesOf(one(g, 12))), 1)))).toBe('z');
  });

  it('is accepted and run by onnxruntime', async () => {
    const session = await ort.InferenceSession.create(model);
    try {
      const out = await session.run({ a: new ort.Tensor('float32', Float32Array.of(1, 0, 1, 0, 1, 0), [2, 3]) });
      // y = 2 * a · wᵀ; rows: [2*(1+3), 2*(4-6)] = [8, -4] and [2*2, 2*5] = [4, 10]; z = row maxima.
      expect(Array.from(out['z']!.data as Float32Array)).toEqual([8, 10]);
    } finally {
      await session.release();
    }
  });

  it('rejects an initializer whose dims do not match its data', () => {
    expect(() =>
      encodeOnnxModel({
        irVersion: 8,
        opsetVersion: 17,
        producerName: 't',
        graphName: 'g',
        nodes: [],
        inputs: [],
        outputs: [],
        initializers: [{ name: 'w', dataType: OnnxDataType.FLOAT, dims: [2, 2], data: new Float32Array(3) }],
      }),
    ).toThrow(/dims/);
  });
});

describe('ONNX TopK tie order in onnxruntime (the backend relies on it)', () => {
  // Scores = A · Xᵀ with many exactly equal columns; the spec says the lower index comes first.
  it.each([
    [1, 40, 3],
    [7, 1000, 11],
    [5, 3000, 900],
    [3, 64, 64],
  ])('rows %i, columns %i, k %i', async (rows, columns, k) => {
    const x = new Float32Array(columns);
    for (let c = 0; c < columns; c++) x[c] = (c * 7919) % 5; // five distinct values, many ties
    const bytes = buildChunkModel({ columns, parts: [{ dim: 1, rows: x }], outputs: [{ parts: [0], topK: k }] });
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2 });
    try {
      const a = Float32Array.from({ length: rows }, (_, r) => (r % 2 === 0 ? 1 : -1));
      const out = await session.run({ a0: new ort.Tensor('float32', a, [rows, 1]) });
      const got = out['indices0']!.data as Int32Array;
      for (let r = 0; r < rows; r++) {
        const order = Array.from({ length: columns }, (_, c) => c).sort((p, q) => a[r]! * x[q]! - a[r]! * x[p]! || p - q);
        expect(Array.from(got.subarray(r * k, (r + 1) * k))).toEqual(order.slice(0, k));
      }
    } finally {
      await session.release();
    }
  });
});

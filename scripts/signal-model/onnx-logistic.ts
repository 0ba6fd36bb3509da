import onnxProto from 'onnx-proto';

// A CommonJS module: its namespace is the default export's `onnx`.
const { onnx } = onnxProto;

/** The graph's input and output names: what `activities/signal-model.ts` feeds and reads. */
export const MODEL_INPUT = 'features';
export const MODEL_OUTPUT = 'up_probability';

const floatTensor = (name: string, dims: number[], values: number[]) =>
  onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values });

const tensorInfo = (name: string, dims: Array<number | string>) =>
  onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })),
        },
      },
    },
  });

/**
 * A logistic regression as an ONNX model: `features` [batch, width] (already normalized) → MatMul by the
 * weights, Add the bias, Sigmoid → `up_probability` [batch, 1]. Opset 13, float32.
 */
export function logisticOnnx(model: { weights: number[]; bias: number }, docString: string): Uint8Array {
  const width = model.weights.length;
  const graph = onnx.GraphProto.create({
    name: 'keel_signal_logistic',
    input: [tensorInfo(MODEL_INPUT, ['batch', width])],
    output: [tensorInfo(MODEL_OUTPUT, ['batch', 1])],
    initializer: [floatTensor('weights', [width, 1], model.weights), floatTensor('bias', [1], [model.bias])],
    node: [
      onnx.NodeProto.create({ opType: 'MatMul', input: [MODEL_INPUT, 'weights'], output: ['logit_raw'] }),
      onnx.NodeProto.create({ opType: 'Add', input: ['logit_raw', 'bias'], output: ['logit'] }),
      onnx.NodeProto.create({ opType: 'Sigmoid', input: ['logit'], output: [MODEL_OUTPUT] }),
    ],
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'keel',
      docString,
      opsetImport: [{ domain: '', version: 13 }],
      graph,
    }),
  ).finish();
}

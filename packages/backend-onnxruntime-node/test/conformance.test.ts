import { describeBackendConformance } from '@vi-mmrec/backend-conformance';
import { onnxruntimeNodeBackend, onnxruntimeNodeBackendFactory } from '../src/index.js';

describeBackendConformance({
  name: 'onnxruntime-node',
  create: () => onnxruntimeNodeBackend(),
  isAvailable: onnxruntimeNodeBackendFactory.isAvailable!,
});

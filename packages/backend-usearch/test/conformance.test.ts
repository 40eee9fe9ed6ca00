import { describeBackendConformance } from '@vi-mmrec/backend-conformance';
import { usearchBackend, usearchBackendFactory } from '../src/index.js';

describeBackendConformance({
  name: 'usearch',
  create: () => usearchBackend(),
  isAvailable: usearchBackendFactory.isAvailable!,
});

import { describeBackendConformance } from '@vi-mmrec/backend-conformance';
import { cpuBackend } from '../src/index.js';

describeBackendConformance({ name: 'cpu', create: () => cpuBackend() });

import { BackendInitError, NoBackendAvailableError, isViMmrecError, listBackends, resolveBackend } from '@vi-mmrec/core';
import { describe, expect, it } from 'vitest';
import { tfjsNodeGpuBackend, tfjsNodeGpuBackendFactory } from '../src/index.js';
import { isMissingPackage, loadTfjsNodeGpu, tfjsNodeGpuHasGpu } from '../src/tf-module.js';

// @tensorflow/tfjs-node-gpu is genuinely not installed on our machines (its install script
// downloads libtensorflow from outside the npm registry), so these tests hit the real path.

describe('when @tensorflow/tfjs-node-gpu is not installed', () => {
  it('init() rejects with a one-line BackendInitError saying how to install it and what to use instead', async () => {
    const b = tfjsNodeGpuBackend();
    const error = await b.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendInitError);
    expect(isViMmrecError(error, 'BACKEND_INIT')).toBe(true);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('npm i @tensorflow/tfjs-node-gpu');
    expect(message).toMatch(/Linux x86_64.*CUDA 11\.x.*cuDNN 8/);
    expect(message).toContain('--backend onnxruntime-node');
    expect(message).toContain('--backend cpu');
    expect(message).toContain('not installed');
    expect((error as BackendInitError).backend).toBe('tfjs-node-gpu');
    // searchNeighbours reports the same error rather than failing obscurely.
    const req = { numItems: 1, parts: [{ data: new Float32Array([1]), dim: 1 }], outputs: [{ parts: [0], k: 1 }] };
    await expect(b.searchNeighbours(req)).rejects.toBeInstanceOf(BackendInitError);
  });

  it('the factory reports unavailable, with priority 300 and the registry name', async () => {
    expect(tfjsNodeGpuBackendFactory.name).toBe('tfjs-node-gpu');
    expect(tfjsNodeGpuBackendFactory.priority).toBe(300);
    await expect(tfjsNodeGpuBackendFactory.isAvailable!()).resolves.toBe(false);
    expect(tfjsNodeGpuBackendFactory.create().name).toBe('tfjs-node-gpu');
  });

  it('the ./register entry registers it, and resolution skips it', async () => {
    await import('../src/register.js');
    expect(listBackends()).toContainEqual(expect.objectContaining({ name: 'tfjs-node-gpu', priority: 300 }));
    const error = await resolveBackend(['tfjs-node-gpu']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoBackendAvailableError);
    expect((error as Error).message).toContain('tfjs-node-gpu');
  });
});

describe('classifying load failures', () => {
  it('tells a missing package from an installed one whose native part fails', async () => {
    const missing = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node-gpu' imported from /app/x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const addon = Object.assign(
      new Error("Cannot find module '/app/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node'\nRequire stack: …"),
      { code: 'MODULE_NOT_FOUND' },
    );
    const cuda = new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');
    expect(isMissingPackage(missing)).toBe(true);
    expect(isMissingPackage(addon)).toBe(false);
    expect(isMissingPackage(cuda)).toBe(false);

    const reject = (e: Error) => async () => Promise.reject(e);
    await expect(loadTfjsNodeGpu(reject(missing))).rejects.toThrow(/not installed: run `npm i @tensorflow\/tfjs-node-gpu`/);
    const failed = (await loadTfjsNodeGpu(reject(cuda)).catch((e: unknown) => e)) as BackendInitError;
    expect(failed).toBeInstanceOf(BackendInitError);
    expect(failed.message).toMatch(/installed but failed to load \(libcudart\.so\.11\.0: cannot open shared object file/);
    expect(failed.message).toContain('troubleshooting-gpu.md');
    expect(failed.message).not.toContain('\n');
    expect(failed.cause).toBe(cuda);
    const addonError = (await loadTfjsNodeGpu(reject(addon)).catch((e: unknown) => e)) as Error;
    expect(addonError.message).toMatch(/installed but failed to load \(Cannot find module .*tfjs_binding\.node'\)/);
  });

  it('accepts a CommonJS module behind default, rejects a non-tfjs module, and detects the GPU flag', async () => {
    const fakeTf = {
      matMul: () => 0,
      topk: () => 0,
      findBackend: (name: string) => (name === 'tensorflow' ? { isUsingGpuDevice: true } : null),
    };
    await expect(loadTfjsNodeGpu(async () => ({ default: fakeTf }))).resolves.toBe(fakeTf);
    await expect(loadTfjsNodeGpu(async () => ({ default: {} }))).rejects.toBeInstanceOf(BackendInitError);
    await expect(tfjsNodeGpuHasGpu(async () => fakeTf)).resolves.toBe(true);
    const cpuOnly = { ...fakeTf, findBackend: () => ({ isUsingGpuDevice: false }) };
    await expect(tfjsNodeGpuHasGpu(async () => cpuOnly)).resolves.toBe(false);
  });
});

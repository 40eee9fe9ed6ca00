import { isViMmrecError, listBackends } from '@vi-mmrec/core';
import type { NeighbourSearchRequest } from '@vi-mmrec/core/backend';
import { describe, expect, it } from 'vitest';
import { onnxruntimeNodeBackend, onnxruntimeNodeBackendFactory } from '../src/index.js';

function request(n = 40, dim = 3): NeighbourSearchRequest {
  const data = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i + 1));
  return { numItems: n, parts: [{ data, dim }], outputs: [{ parts: [0], k: 3 }] };
}

function logger(): { info: string[]; warn: string[]; sink: { info(m: string): void; warn(m: string): void } } {
  const info: string[] = [];
  const warn: string[] = [];
  return { info, warn, sink: { info: (m) => info.push(m), warn: (m) => warn.push(m) } };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('progress and cancellation', () => {
  it('reports progress after every block, ending at numItems', async () => {
    const b = onnxruntimeNodeBackend({ blockRows: 7 });
    const calls: Array<[number, number]> = [];
    await b.searchNeighbours(request(40), { onProgress: (d, t) => calls.push([d, t]) });
    expect(calls).toEqual([7, 14, 21, 28, 35, 40].map((d) => [d, 40]));
    await b.dispose();
  });

  it('adapts the block size when blockRows is not set, covering every row once', async () => {
    const b = onnxruntimeNodeBackend({ targetBlockMs: 1 });
    const done: number[] = [];
    await b.searchNeighbours(request(300), { onProgress: (d) => done.push(d) });
    expect(done.at(-1)).toBe(300);
    expect(done.every((d, i) => i === 0 || d > done[i - 1]!)).toBe(true);
    await b.dispose();
  });

  it('rejects with AbortedError when the signal is already aborted', async () => {
    const b = onnxruntimeNodeBackend();
    const e = await rejection(b.searchNeighbours(request(), { signal: AbortSignal.abort() }));
    expect(isViMmrecError(e, 'ABORTED')).toBe(true);
    await b.dispose();
  });

  it('stops at the next block boundary when aborted during a run', async () => {
    const b = onnxruntimeNodeBackend({ blockRows: 5 });
    const ac = new AbortController();
    const done: number[] = [];
    const e = await rejection(
      b.searchNeighbours(request(40), {
        signal: ac.signal,
        onProgress: (d) => {
          done.push(d);
          if (d === 10) ac.abort(new Error('stop'));
        },
      }),
    );
    expect(isViMmrecError(e, 'ABORTED')).toBe(true);
    expect((e as Error).cause).toEqual(new Error('stop'));
    expect(done).toEqual([5, 10]);
    // The backend stays usable.
    const [t] = await b.searchNeighbours(request(10));
    expect(t!.indices).toHaveLength(30);
    await b.dispose();
  });

  it('honours an abort while column-chunk sessions are being created', async () => {
    const b = onnxruntimeNodeBackend({ maxChunkBytes: 4 * 3 * 2 });
    const ac = new AbortController();
    const p = b.searchNeighbours(request(40), { signal: ac.signal });
    setTimeout(() => ac.abort(), 0);
    const e = await rejection(p);
    expect(isViMmrecError(e, 'ABORTED')).toBe(true);
    await b.dispose();
  });
});

describe('lifecycle', () => {
  it('init is idempotent and concurrent-safe; the device is the CPU here', async () => {
    const log = logger();
    const b = onnxruntimeNodeBackend({ logger: log.sink });
    await Promise.all([b.init(), b.init(), b.init()]);
    await b.init();
    expect(b.name).toBe('onnxruntime-node');
    expect(b.capabilities).toEqual({ device: 'cpu', floatPrecision: 32 });
    expect(log.info.filter((m) => m.includes('using execution providers'))).toHaveLength(1);
    await b.dispose();
  });

  it('rejects every call after dispose with BackendDisposedError; dispose is idempotent', async () => {
    const b = onnxruntimeNodeBackend();
    await b.init();
    await b.dispose();
    await b.dispose();
    expect(isViMmrecError(await rejection(b.searchNeighbours(request())), 'BACKEND_DISPOSED')).toBe(true);
    expect(isViMmrecError(await rejection(b.init()), 'BACKEND_DISPOSED')).toBe(true);
  });

  it('rejects a running search at the next block when disposed', async () => {
    const b = onnxruntimeNodeBackend({ blockRows: 4 });
    const done: number[] = [];
    const e = await rejection(
      b.searchNeighbours(request(40), {
        onProgress: (d) => {
          done.push(d);
          void b.dispose();
        },
      }),
    );
    expect(isViMmrecError(e, 'BACKEND_DISPOSED')).toBe(true);
    expect(done).toEqual([4]);
  });

  it('supports `await using`', async () => {
    let backend: ReturnType<typeof onnxruntimeNodeBackend> | undefined;
    {
      await using b = onnxruntimeNodeBackend();
      backend = b;
      await b.init();
    }
    expect(isViMmrecError(await rejection(backend.init()), 'BACKEND_DISPOSED')).toBe(true);
  });

  it('rejects malformed requests asynchronously with InvalidArgumentError', async () => {
    const b = onnxruntimeNodeBackend();
    const bad = { numItems: 3, parts: [{ data: new Float32Array(5), dim: 2 }], outputs: [{ parts: [0], k: 1 }] };
    let p: Promise<unknown>;
    try {
      p = b.searchNeighbours(bad);
    } catch (e) {
      throw new Error(`searchNeighbours threw synchronously: ${String(e)}`);
    }
    expect(isViMmrecError(await rejection(p), 'INVALID_ARGUMENT')).toBe(true);
    const badK = { ...request(), outputs: [{ parts: [0], k: 0 }] };
    expect(isViMmrecError(await rejection(b.searchNeighbours(badK)), 'INVALID_ARGUMENT')).toBe(true);
    await b.dispose();
  });

  it('rejects malformed options with InvalidArgumentError', () => {
    for (const options of [
      { intraOpNumThreads: 0 },
      { blockRows: 1.5 },
      { targetBlockMs: -1 },
      { maxChunkBytes: 0 },
      { executionProviders: [''] },
    ]) {
      let error: unknown;
      try {
        onnxruntimeNodeBackend(options);
      } catch (e) {
        error = e;
      }
      expect(isViMmrecError(error, 'INVALID_ARGUMENT'), JSON.stringify(options)).toBe(true);
    }
  });
});

describe('initialisation failures and execution providers', () => {
  it('reports a missing binding as BackendInitError saying how to install and what to use instead', async () => {
    const cause = new Error("Cannot find module '../bin/napi-v6/linux/x64/onnxruntime_binding.node'");
    const b = onnxruntimeNodeBackend({ loadRuntime: async () => Promise.reject(cause) });
    const e = await rejection(b.init());
    expect(isViMmrecError(e, 'BACKEND_INIT')).toBe(true);
    expect((e as Error).cause).toBe(cause);
    expect((e as Error).message).toMatch(/npm i onnxruntime-node/);
    expect((e as Error).message).toMatch(/'cpu' backend/);
    expect(isViMmrecError(await rejection(b.searchNeighbours(request())), 'BACKEND_INIT')).toBe(true);
  });

  it('drops providers this build cannot load and falls back to the next with a logged reason', async () => {
    const log = logger();
    const b = onnxruntimeNodeBackend({ executionProviders: ['no-such-ep', 'cpu'], logger: log.sink });
    await b.init();
    expect(b.capabilities.device).toBe('cpu');
    expect(log.warn.some((m) => m.includes("'no-such-ep' not used"))).toBe(true);
    const [t] = await b.searchNeighbours(request(6));
    expect(t!.indices).toHaveLength(18);
    await b.dispose();
  });

  it('falls back from a provider that fails to start, and reports the device of the one used', async () => {
    const real = await import('onnxruntime-node');
    const ort = (real as unknown as { default?: typeof real }).default ?? real;
    const created: string[] = [];
    // A runtime whose 'webgpu' provider fails at session creation, as a broken GPU driver would.
    const fake = {
      ...ort,
      listSupportedBackends: () => [
        { name: 'cpu', bundled: true },
        { name: 'webgpu', bundled: true },
      ],
      InferenceSession: {
        create: async (bytes: Uint8Array, options: { executionProviders: Array<string | { name: string }> }) => {
          const first = options.executionProviders[0]!;
          created.push(typeof first === 'string' ? first : first.name);
          if (first === 'webgpu') throw new Error('no adapter found');
          return ort.InferenceSession.create(bytes, options as never);
        },
      },
    } as unknown as typeof ort;
    const log = logger();
    const b = onnxruntimeNodeBackend({ executionProviders: ['webgpu', 'cpu'], logger: log.sink, loadRuntime: async () => fake });
    await b.init();
    expect(b.capabilities.device).toBe('cpu');
    expect(log.warn.some((m) => m.includes("'webgpu' failed (no adapter found); falling back to 'cpu'"))).toBe(true);
    const [t] = await b.searchNeighbours(request(6));
    expect(Array.from(t!.indices.subarray(0, 3)).every((j) => j >= 1)).toBe(true);
    expect(created.slice(0, 2)).toEqual(['webgpu', 'cpu']);
    expect(created.slice(2).every((n) => n === 'cpu')).toBe(true);
    await b.dispose();
  });

  it('fails with BackendInitError when no requested provider works', async () => {
    const log = logger();
    const b = onnxruntimeNodeBackend({ executionProviders: ['no-such-ep'], logger: log.sink });
    const e = await rejection(b.init());
    expect(isViMmrecError(e, 'BACKEND_INIT')).toBe(true);
    expect((e as Error).message).toMatch(/no-such-ep/);
  });

  it('logs why CUDA is not used when its provider library is absent', async () => {
    const log = logger();
    const b = onnxruntimeNodeBackend({ logger: log.sink });
    await b.init();
    if (b.capabilities.device === 'cpu') expect(log.info.some((m) => m.includes("'cuda' not used"))).toBe(true);
    await b.dispose();
  });
});

describe('factory and registration', () => {
  it('describes itself for the registry', async () => {
    expect(onnxruntimeNodeBackendFactory.name).toBe('onnxruntime-node');
    expect(onnxruntimeNodeBackendFactory.priority).toBe(200);
    expect(onnxruntimeNodeBackendFactory.description).toMatch(/onnxruntime-node/);
    expect(await onnxruntimeNodeBackendFactory.isAvailable!()).toBe(true);
    const b = onnxruntimeNodeBackendFactory.create();
    expect(b.name).toBe('onnxruntime-node');
    await b.dispose();
  });

  it('registers through the ./register entry', async () => {
    await import('../src/register.js');
    expect(listBackends().find((e) => e.name === 'onnxruntime-node')?.priority).toBe(200);
  });
});

/**
 * Worker failures: threads that cannot start, and a worker that fails in the middle of a job.
 * `node:worker_threads` is replaced by a fake whose behaviour each test chooses.
 */
import { EventEmitter } from 'node:events';
import type { NeighbourSearchRequest } from '@vi-mmrec/core/backend';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cpuBackend } from '../src/index.js';
import { expectIdentical, expectMatchesReference, features, rng } from './helpers.js';

interface FakeState {
  mode: 'throw' | 'fail-job';
  started: number;
  terminated: number;
}
const fake: FakeState = vi.hoisted((): FakeState => ({ mode: 'throw', started: 0, terminated: 0 }));

vi.mock('node:worker_threads', () => ({
  Worker: class extends EventEmitter {
    constructor() {
      super();
      if (fake.mode === 'throw') throw new Error('worker threads are disabled here');
      fake.started++;
    }
    postMessage(msg: { type: string }): void {
      setImmediate(() => {
        if (msg.type === 'init') this.emit('message', { type: 'ready' });
        else this.emit('message', { type: 'error', message: 'simulated crash in a tile' });
      });
    }
    ref(): void {}
    unref(): void {}
    async terminate(): Promise<number> {
      fake.terminated++;
      return 0;
    }
  },
}));

function request(): NeighbourSearchRequest {
  const random = rng(21);
  return {
    numItems: 90,
    parts: [
      { data: features(random, 90, 19, [4]), dim: 19 },
      { data: features(random, 90, 6, [4, 7]), dim: 6 },
    ],
    outputs: [
      { parts: [0], k: 3 },
      { parts: [0, 1], k: 5 },
    ],
  };
}

const backends: Array<{ dispose(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map(async (b) => b.dispose()));
});

describe('worker failures', () => {
  it('workers that cannot start: warns and runs single-threaded with identical results', async () => {
    fake.mode = 'throw';
    const warn = vi.fn();
    const b = cpuBackend({ threads: 2, blockRows: 24, logger: { info: () => undefined, warn } });
    const single = cpuBackend({ threads: 1, blockRows: 24 });
    backends.push(b, single);
    const req = request();
    const tables = await b.searchNeighbours(req);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('worker threads could not start'));
    expectMatchesReference(req, tables);
    expectIdentical(tables, await single.searchNeighbours(req));
    // A second search does not retry (nor warn again).
    await b.searchNeighbours(req);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('a worker failing mid-job: warns, discards the pool and redoes the job on the calling thread', async () => {
    fake.mode = 'fail-job';
    fake.started = 0;
    fake.terminated = 0;
    const warn = vi.fn();
    const b = cpuBackend({ threads: 2, blockRows: 24, logger: { info: () => undefined, warn } });
    backends.push(b);
    const req = request();
    const progress: number[] = [];
    const tables = await b.searchNeighbours(req, { onProgress: (d) => progress.push(d) });
    expect(fake.started).toBe(2);
    expect(fake.terminated).toBe(2);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('simulated crash in a tile'));
    expectMatchesReference(req, tables);
    expect(progress.at(-1)).toBe(90);
  });
});

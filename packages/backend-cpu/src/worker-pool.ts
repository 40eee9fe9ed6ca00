/**
 * A small pool of `worker_threads` running the tile engine over a shared wasm memory.
 *
 * @internal
 */
import { Worker } from 'node:worker_threads';
import type { EngineConfig, FromWorker, PartialTopK, ToWorker } from './tile-engine.js';
import { workerSource } from './tile-engine.js';
import type { WasmMemory, WasmModule } from './wasm-api.js';

/** Why a job ended without results: aborted through the flag, or a worker failed (`cause`). */
export class JobStop extends Error {
  constructor(
    readonly reason: 'aborted' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(reason === 'aborted' ? 'job aborted' : 'a worker failed', options);
  }
}

/** A running set of workers; each owns one scratch region of a job's memory. */
export class WorkerPool {
  private constructor(private readonly workers: Worker[]) {}

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Starts `count` workers and hands them the compiled kernel; rejects if any fails to start. */
  static async start(count: number, module: WasmModule): Promise<WorkerPool> {
    const source = workerSource();
    const workers: Worker[] = [];
    try {
      for (let w = 0; w < count; w++) workers.push(new Worker(source, { eval: true }));
      await Promise.all(
        workers.map(
          async (worker) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (msg: FromWorker): void => {
                cleanup();
                if (msg.type === 'ready') resolve();
                else reject(new Error(`worker answered '${msg.type}' to init${msg.type === 'error' ? `: ${msg.message}` : ''}`));
              };
              const onError = (err: Error): void => {
                cleanup();
                reject(err);
              };
              const onExit = (code: number): void => {
                cleanup();
                reject(new Error(`worker exited with code ${code} during start-up`));
              };
              const cleanup = (): void => {
                worker.off('message', onMessage);
                worker.off('error', onError);
                worker.off('exit', onExit);
              };
              worker.on('message', onMessage);
              worker.on('error', onError);
              worker.on('exit', onExit);
              worker.postMessage({ type: 'init', module } satisfies ToWorker);
            }),
        ),
      );
    } catch (error) {
      await Promise.allSettled(workers.map(async (w) => w.terminate()));
      throw error;
    }
    // Idle workers must not keep the process alive (backends from the registry are never
    // disposed); they are ref'd only while a job runs.
    for (const w of workers) w.unref();
    return new WorkerPool(workers);
  }

  /**
   * Runs one job: worker w uses `configs[w]`. `onTile` is called for every finished tile;
   * setting the abort flag (Int32 `control + 1` of the memory) makes workers stop after their
   * current tile. Resolves with each worker's partial top-k lists, or rejects with a
   * {@link JobStop}.
   */
  async run(
    memory: WasmMemory,
    configs: readonly EngineConfig[],
    control: number,
    onTile: (rb: number, cb: number) => void,
    tileBlocks: (t: number) => [number, number],
  ): Promise<PartialTopK[][]> {
    const results: PartialTopK[][] = new Array<PartialTopK[]>(this.workers.length);
    let stop: JobStop | undefined;
    let pending = this.workers.length;
    return new Promise<PartialTopK[][]>((resolve, reject) => {
      const finish = (): void => {
        if (--pending > 0) return;
        for (const { worker, listeners } of handlers) {
          worker.off('message', listeners.message);
          worker.off('error', listeners.error);
          worker.off('exit', listeners.exit);
          worker.unref();
        }
        if (stop === undefined) resolve(results);
        else reject(stop);
      };
      const fail = (error: Error): void => {
        // Keep the first failure; stop the others at their next tile.
        if (stop?.reason !== 'failed') stop = new JobStop('failed', { cause: error });
        Atomics.store(new Int32Array(memory.buffer), control + 1, 1);
      };
      const handlers = this.workers.map((worker, w) => {
        let settled = false;
        const settle = (): void => {
          if (settled) return;
          settled = true;
          finish();
        };
        const listeners = {
          message: (msg: FromWorker): void => {
            if (msg.type === 'tile') {
              const [rb, cb] = tileBlocks(msg.tile);
              onTile(rb, cb);
            } else if (msg.type === 'done') {
              results[w] = msg.result;
              settle();
            } else if (msg.type === 'aborted') {
              stop ??= new JobStop('aborted');
              settle();
            } else if (msg.type === 'error') {
              const error = new Error(`worker ${w}: ${msg.message}`);
              if (msg.stack !== undefined) error.stack = msg.stack;
              fail(error);
              settle();
            }
          },
          error: (err: Error): void => {
            fail(err);
            settle();
          },
          exit: (code: number): void => {
            fail(new Error(`worker ${w} exited with code ${code}`));
            settle();
          },
        };
        worker.on('message', listeners.message);
        worker.on('error', listeners.error);
        worker.on('exit', listeners.exit);
        worker.ref();
        worker.postMessage({ type: 'job', memory, config: configs[w]!, control } satisfies ToWorker);
        return { worker, listeners };
      });
    });
  }

  /** Stops every worker. */
  async terminate(): Promise<void> {
    await Promise.allSettled(this.workers.map(async (w) => w.terminate()));
  }
}

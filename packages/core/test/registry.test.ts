import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Backend, BackendFactory } from '../src/spi.js';
import { listBackends, registerBackend, resetRegistryForTests, resolveBackend } from '../src/registry.js';
import { APPROXIMATE_CROSSOVER_ITEMS } from '../src/size-policy.js';
import { BackendInitError, NoBackendAvailableError, isViMmrecError } from '../src/errors.js';

interface Probe {
  factory: BackendFactory;
  creates: () => number;
  inits: () => number;
}

/** A factory whose backends record calls; `fail` makes init reject, `available` gates isAvailable. */
function probe(
  name: string,
  priority: number,
  opts: { fail?: boolean; available?: boolean; initDelay?: number; approximate?: boolean; undeclared?: boolean } = {},
): Probe {
  let creates = 0;
  let inits = 0;
  const factory: BackendFactory = {
    name,
    priority,
    description: `${name} test backend`,
    ...(opts.available === undefined ? {} : { isAvailable: async () => opts.available! }),
    // `undeclared`: approximate, but the factory does not say so (only the capability does).
    ...(opts.approximate === true && opts.undeclared !== true ? { exact: false } : {}),
    create: (): Backend => {
      creates++;
      return {
        name,
        capabilities: { device: 'cpu', floatPrecision: 32, ...(opts.approximate === true ? { exact: false } : {}) },
        init: async () => {
          inits++;
          if (opts.initDelay !== undefined) await new Promise((r) => setTimeout(r, opts.initDelay));
          if (opts.fail === true) throw new Error(`${name} exploded`);
        },
        searchNeighbours: async () => [],
        dispose: async () => undefined,
        [Symbol.asyncDispose]: async () => undefined,
      };
    },
  };
  return { factory, creates: () => creates, inits: () => inits };
}

const logger = () => ({ info: vi.fn<(message: string) => void>(), warn: vi.fn<(message: string) => void>() });

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => resetRegistryForTests());

describe('registerBackend / listBackends', () => {
  it('lists by priority, highest first', () => {
    registerBackend(probe('cpu', 100).factory);
    registerBackend(probe('gpu', 300).factory);
    registerBackend(probe('ort', 200).factory);
    registerBackend(probe('opt-in', -1).factory);
    expect(listBackends().map((b) => b.name)).toEqual(['gpu', 'ort', 'cpu', 'opt-in']);
    expect(listBackends()[0]).toEqual({ name: 'gpu', priority: 300, description: 'gpu test backend' });
  });
  it('registering the same factory twice is a no-op', () => {
    const p = probe('cpu', 100);
    registerBackend(p.factory);
    registerBackend(p.factory);
    expect(listBackends()).toHaveLength(1);
  });
  it('a different factory under a taken name throws', () => {
    registerBackend(probe('cpu', 100).factory);
    expect(() => registerBackend(probe('cpu', 100).factory)).toThrow(/already registered as 'cpu'/);
  });
});

describe('resolveBackend', () => {
  it('without hints, picks the highest priority that initialises', async () => {
    const gpu = probe('gpu', 300, { fail: true });
    const cpu = probe('cpu', 100);
    const ort = probe('ort', 200, { available: false });
    [cpu, gpu, ort].forEach((p) => registerBackend(p.factory));
    const log = logger();
    const b = await resolveBackend(undefined, { logger: log });
    expect(b.name).toBe('cpu');
    expect(ort.creates()).toBe(0); // isAvailable false: never created
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining("using backend 'cpu'"));
    expect(log.warn).not.toHaveBeenCalled(); // automatic fallbacks are info, not warnings
  });
  it('with hints, tries them in the given order regardless of priority', async () => {
    registerBackend(probe('gpu', 300).factory);
    registerBackend(probe('cpu', 100).factory);
    expect((await resolveBackend(['cpu', 'gpu'])).name).toBe('cpu');
  });
  it('warns through the logger when a requested backend is skipped', async () => {
    registerBackend(probe('gpu', 300, { fail: true }).factory);
    registerBackend(probe('cpu', 100).factory);
    const log = logger();
    expect((await resolveBackend(['gpu', 'cpu'], { logger: log })).name).toBe('cpu');
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]![0]).toMatch(/requested backend 'gpu' skipped: .*gpu/);
  });
  it('rejects with BackendNotFoundError on an unknown hint (not synchronously)', async () => {
    registerBackend(probe('cpu', 100).factory);
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = resolveBackend(['nope']);
    }).not.toThrow();
    const e = await caught(p!);
    expect(isViMmrecError(e, 'BACKEND_NOT_FOUND')).toBe(true);
    expect((e as Error).message).toMatch(/'nope' is not registered \(registered: cpu\)/);
  });
  it('shares one cached initialisation between concurrent calls', async () => {
    const cpu = probe('cpu', 100, { initDelay: 20 });
    registerBackend(cpu.factory);
    const [a, b, c] = await Promise.all([resolveBackend(), resolveBackend(), resolveBackend(['cpu'])]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(await resolveBackend()).toBe(a);
    expect(cpu.creates()).toBe(1);
    expect(cpu.inits()).toBe(1);
  });
  it('a failed backend stays failed and keeps its error', async () => {
    const gpu = probe('gpu', 300, { fail: true });
    registerBackend(gpu.factory);
    const e1 = await caught(resolveBackend());
    const e2 = await caught(resolveBackend());
    expect(gpu.creates()).toBe(1);
    expect(e1).toBeInstanceOf(NoBackendAvailableError);
    const first = (e1 as NoBackendAvailableError).errors[0]!.error;
    expect(first).toBeInstanceOf(BackendInitError);
    expect(((first as Error).cause as Error).message).toBe('gpu exploded');
    expect((e2 as NoBackendAvailableError).errors[0]!.error).toBe(first);
  });
  it('rejects with one aggregate NoBackendAvailableError listing every candidate', async () => {
    registerBackend(probe('gpu', 300, { fail: true }).factory);
    registerBackend(probe('ort', 200, { available: false }).factory);
    const e = await caught(resolveBackend());
    expect(isViMmrecError(e, 'NO_BACKEND_AVAILABLE')).toBe(true);
    const agg = e as NoBackendAvailableError;
    expect(agg.errors.map((x) => x.backend)).toEqual(['gpu', 'ort']);
    expect(agg.message).toMatch(/gpu: .*; ort: .*not available/);
  });
  it('never picks a negative priority automatically, but does when asked by name', async () => {
    const optIn = probe('experimental', -5);
    registerBackend(optIn.factory);
    const e = await caught(resolveBackend());
    expect(isViMmrecError(e, 'NO_BACKEND_AVAILABLE')).toBe(true);
    expect((e as Error).message).toMatch(/No backend is registered/);
    expect(optIn.creates()).toBe(0);
    expect((await resolveBackend(['experimental'])).name).toBe('experimental');
  });
  it('with nothing registered, says how to install the CPU backend', async () => {
    const e = await caught(resolveBackend());
    expect((e as Error).message).toMatch(/@vi-mmrec\/backend-cpu/);
  });
});

describe('explicitly requested backends', () => {
  it("skip the isAvailable probe so the backend's own init error reaches the user", async () => {
    const gpu = probe('gpu', 300, { available: false, fail: true });
    registerBackend(gpu.factory);
    const e = await caught(resolveBackend(['gpu']));
    expect(isViMmrecError(e, 'NO_BACKEND_AVAILABLE')).toBe(true);
    const inner = (e as NoBackendAvailableError).errors[0]!.error;
    expect(inner).toBeInstanceOf(BackendInitError);
    expect((inner as Error).message).toBe("Backend 'gpu' failed to initialise: gpu exploded");
    expect(gpu.inits()).toBe(1);
  });

  it('are still probed cheaply by automatic resolution', async () => {
    const gpu = probe('gpu', 300, { available: false });
    registerBackend(gpu.factory);
    registerBackend(probe('cpu', 100).factory);
    const b = await resolveBackend();
    expect(b.name).toBe('cpu');
    expect(gpu.creates()).toBe(0);
  });
});

describe('resolveBackend by catalogue size (capabilities.exact)', () => {
  const C = APPROXIMATE_CROSSOVER_ITEMS;
  const setup = (opts: { available?: boolean; undeclared?: boolean } = {}) => {
    const ann = probe('ann', 500, { approximate: true, ...opts });
    const cpu = probe('cpu', 100);
    [ann, cpu].forEach((p) => registerBackend(p.factory));
    return { ann, cpu };
  };
  it('never picks an approximate backend when the size is unknown, even at the highest priority', async () => {
    const { ann } = setup();
    expect((await resolveBackend()).name).toBe('cpu');
    expect(ann.creates()).toBe(0);
  });
  it('searches exactly at or below the crossover and says why', async () => {
    const { ann } = setup();
    const log = logger();
    expect((await resolveBackend(undefined, { numItems: C, logger: log })).name).toBe('cpu');
    expect(ann.creates()).toBe(0);
    expect(log.info.mock.calls.flat().join('\n')).toMatch(/using backend 'cpu'.*exact search: [\d,]+ items ≤ crossover/);
  });
  it('prefers the approximate backend above the crossover, whatever the priorities, and says why', async () => {
    resetRegistryForTests();
    const ann = probe('ann', 10, { approximate: true });
    const ort = probe('ort', 200);
    [ann, ort].forEach((p) => registerBackend(p.factory));
    const log = logger();
    expect((await resolveBackend(undefined, { numItems: C + 1, logger: log })).name).toBe('ann');
    expect(ort.creates()).toBe(0);
    expect(log.info.mock.calls.flat().join('\n')).toMatch(/using backend 'ann'.*approximate search: [\d,]+ items > crossover/);
  });
  it('falls back to exact search above the crossover when no approximate backend initialises', async () => {
    setup({ available: false });
    expect((await resolveBackend(undefined, { numItems: C * 10 })).name).toBe('cpu');
  });
  it('exact: true forces exact search at any size', async () => {
    const { ann } = setup();
    expect((await resolveBackend(undefined, { numItems: C * 10, exact: true })).name).toBe('cpu');
    expect(ann.creates()).toBe(0);
  });
  it('a named approximate backend is used at any size, but rejected when exact search is forced', async () => {
    setup();
    expect((await resolveBackend(['ann'], { numItems: 10 })).name).toBe('ann');
    const e = await caught(resolveBackend(['ann'], { exact: true }));
    expect(isViMmrecError(e, 'NO_BACKEND_AVAILABLE')).toBe(true);
    expect((e as Error).message).toMatch(/ann.*approximate, and exact search was requested/);
  });
  it('capabilities.exact decides even when the factory does not declare it', async () => {
    const { ann } = setup({ undeclared: true });
    const log = logger();
    expect((await resolveBackend(undefined, { numItems: 5, logger: log })).name).toBe('cpu');
    expect(ann.inits()).toBe(1);
    expect(log.info.mock.calls.flat().join('\n')).toMatch(/backend 'ann' unavailable: .*approximate/);
  });
});

describe('resolveBackend with a signal', () => {
  /** A backend whose init waits for `gate` and then honours its signal, as a real runtime load would. */
  function abortable(name: string, priority: number) {
    let inits = 0;
    let disposed = 0;
    let open: () => void = () => undefined;
    const factory: BackendFactory = {
      name,
      priority,
      create: (): Backend => ({
        name,
        capabilities: { device: 'cpu', floatPrecision: 32 },
        init: async (signal?: AbortSignal) => {
          inits++;
          await new Promise<void>((resolve) => {
            open = resolve;
          });
          signal?.throwIfAborted();
        },
        searchNeighbours: async () => [],
        dispose: async () => {
          disposed++;
        },
        [Symbol.asyncDispose]: async () => undefined,
      }),
    };
    return { factory, inits: () => inits, disposed: () => disposed, open: () => open() };
  }
  const tick = async (): Promise<void> => new Promise((r) => setTimeout(r, 0));

  it('an aborted resolve rejects with AbortedError and does not poison the backend', async () => {
    const p = abortable('slow', 100);
    registerBackend(p.factory);
    const controller = new AbortController();
    const first = resolveBackend(['slow'], { signal: controller.signal });
    await tick();
    controller.abort();
    p.open();
    const e = await caught(first);
    expect(isViMmrecError(e, 'ABORTED'), String(e)).toBe(true);
    expect(p.disposed()).toBe(1);
    const second = resolveBackend(['slow']);
    await tick();
    p.open();
    const backend = await second;
    expect(backend.name).toBe('slow');
    expect(p.inits()).toBe(2);
  });

  it('an aborted automatic resolve does not fall through to the next candidate', async () => {
    const slow = abortable('slow', 300);
    const cpu = probe('cpu', 100);
    [slow, cpu].forEach((x) => registerBackend(x.factory));
    const controller = new AbortController();
    const first = resolveBackend(undefined, { signal: controller.signal });
    await tick();
    controller.abort();
    slow.open();
    expect(isViMmrecError(await caught(first), 'ABORTED')).toBe(true);
    expect(cpu.creates()).toBe(0);
  });

  it("a resolve that joined another caller's aborted init retries instead of failing", async () => {
    const p = abortable('slow', 100);
    registerBackend(p.factory);
    const controller = new AbortController();
    const aborted = resolveBackend(['slow'], { signal: controller.signal });
    const other = resolveBackend(['slow']);
    await tick();
    controller.abort();
    p.open();
    expect(isViMmrecError(await caught(aborted), 'ABORTED')).toBe(true);
    await tick();
    p.open();
    await expect(other).resolves.toMatchObject({ name: 'slow' });
    expect(p.inits()).toBe(2);
  });
});

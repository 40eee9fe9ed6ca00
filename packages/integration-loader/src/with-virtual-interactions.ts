import { InvalidArgumentError, InvalidDataError } from '@vi-mmrec/core';
import type { AugmentResult } from '@vi-mmrec/core';
import { Rng, checkSeed } from './rng.js';
import { type PreparedMatrix, prepareMatrix, rowOf, sampleAllowed, sampleVirtual, sortedHas, sortedIndex } from './sparse-rows.js';
import type {
  GraphMode,
  InjectMode,
  NegativePolicy,
  PairBatch,
  SparseInteractions,
  TrainingLoader,
  VirtualInteractionsOptions,
} from './types.js';

/** Random-stream domain of the wrapper (distinct from {@link pairLoader}'s). */
const DOMAIN = 0x56494d31;
/** Output batch size when neither the option nor the original loader tells one. */
const FALLBACK_BATCH_SIZE = 1024;
const POLICIES: readonly NegativePolicy[] = ['non-real', 'non-interacted'];
const GRAPHS: readonly GraphMode[] = ['weighted', 'binary'];
const INJECTS: readonly InjectMode[] = ['both', 'pairs', 'graph'];
/** Members the wrapper serves itself (`Symbol.iterator` only when the loader has one). */
const WRAPPED: readonly PropertyKey[] = [Symbol.asyncIterator, Symbol.iterator, 'interactionMatrix', 'evaluationMask'];
const wrappers = new WeakSet<object>();

interface ResolvedOptions {
  readonly seed: number;
  readonly negatives: NegativePolicy;
  readonly graph: GraphMode;
  readonly exposeWeights: boolean;
  readonly inject: InjectMode;
  readonly batchSize: number | undefined;
  readonly passThrough: ReadonlySet<PropertyKey>;
}

function resolveOptions(options: VirtualInteractionsOptions): ResolvedOptions {
  const seed = checkSeed(options.seed ?? 0);
  const negatives = options.negatives ?? 'non-real';
  if (!POLICIES.includes(negatives)) {
    throw new InvalidArgumentError('negatives', `Unknown negatives policy '${String(negatives)}'; use 'non-real' or 'non-interacted'.`);
  }
  const graph = options.graph ?? 'weighted';
  if (!GRAPHS.includes(graph)) {
    throw new InvalidArgumentError('graph', `Unknown graph mode '${String(graph)}'; use 'weighted' or 'binary'.`);
  }
  const exposeWeights = options.exposeWeights ?? false;
  if (typeof exposeWeights !== 'boolean') {
    throw new InvalidArgumentError('exposeWeights', `exposeWeights must be a boolean, got ${String(exposeWeights)}.`);
  }
  const inject = options.inject ?? 'both';
  if (!INJECTS.includes(inject)) {
    throw new InvalidArgumentError('inject', `Unknown inject mode '${String(inject)}'; use 'both', 'pairs' or 'graph'.`);
  }
  const { batchSize } = options;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
    throw new InvalidArgumentError('batchSize', `batchSize must be an integer ≥ 1, got ${String(batchSize)}.`);
  }
  const passThrough = options.passThrough ?? [];
  if (!Array.isArray(passThrough) || !passThrough.every((k) => typeof k === 'string' || typeof k === 'symbol')) {
    throw new InvalidArgumentError('passThrough', 'passThrough must be an array of member names (strings or symbols).');
  }
  const wrapped = passThrough.find((k) => WRAPPED.includes(k));
  if (wrapped !== undefined) {
    throw new InvalidArgumentError(
      'passThrough',
      `passThrough cannot name ${String(wrapped)}: the wrapper serves it (that is what adds the virtual interactions).`,
    );
  }
  return { seed, negatives, graph, exposeWeights, inject, batchSize, passThrough: new Set(passThrough) };
}

/** Growable typed-array buffer (doubling). */
class GrowableBuffer<T extends Int32Array | Float32Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (size: number) => T,
  ) {}
  push(x: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }
}

const intBuffer = (capacity: number): GrowableBuffer<Int32Array> => new GrowableBuffer(new Int32Array(capacity), (n) => new Int32Array(n));
const floatBuffer = (capacity: number): GrowableBuffer<Float32Array> =>
  new GrowableBuffer(new Float32Array(capacity), (n) => new Float32Array(n));

/** The real pairs of one epoch of the original loader, in its order. */
interface DrainedEpoch {
  readonly users: Int32Array;
  readonly positives: Int32Array;
  /** Original per-pair weights, when the loader gave any. */
  readonly weights: Float32Array | undefined;
  /** Size of the first non-empty batch. */
  readonly firstBatchSize: number | undefined;
  /** Negatives per pair the loader used (1 when it gave none). */
  readonly negativesPerPair: number;
}

/** Collects the real pairs of one epoch, batch by batch, checking each against R̄. */
class EpochCollector {
  readonly #prepared: PreparedMatrix;
  readonly #epoch: number;
  readonly #capacity: number;
  readonly #users: GrowableBuffer<Int32Array>;
  readonly #positives: GrowableBuffer<Int32Array>;
  #weights: GrowableBuffer<Float32Array> | undefined;
  #firstBatchSize: number | undefined;
  #negativesPerPair: number | undefined;
  #batches = 0;

  constructor(prepared: PreparedMatrix, epoch: number) {
    this.#prepared = prepared;
    this.#epoch = epoch;
    // A loader usually yields each real pair of R̄ once per epoch: start at that size (no regrowth).
    this.#capacity = Math.max(1024, prepared.realItems.length);
    this.#users = intBuffer(this.#capacity);
    this.#positives = intBuffer(this.#capacity);
  }

  add(batch: PairBatch): void {
    const where = `loader (epoch ${this.#epoch}, batch ${this.#batches++})`;
    if (
      typeof batch !== 'object' ||
      batch === null ||
      typeof batch.users?.length !== 'number' ||
      typeof batch.positives?.length !== 'number'
    ) {
      throw new InvalidDataError(where, 'is not a PairBatch ({ users, positives, negatives?, weights? } of typed arrays).');
    }
    const n = batch.users.length;
    if (batch.positives.length !== n) {
      throw new InvalidDataError(where, `users has ${n} entries but positives has ${batch.positives.length}.`);
    }
    if (batch.weights !== undefined && batch.weights.length !== n) {
      throw new InvalidDataError(where, `weights has ${batch.weights.length} entries for ${n} pairs.`);
    }
    if (n === 0) return;
    this.#firstBatchSize ??= n;
    if (this.#negativesPerPair === undefined) {
      const neg = batch.negatives;
      this.#negativesPerPair = neg === undefined || neg.length === 0 ? 1 : neg.length / n;
      if (!Number.isInteger(this.#negativesPerPair)) {
        throw new InvalidDataError(where, `negatives has ${neg!.length} entries, not a multiple of the ${n} pairs.`);
      }
    }
    const users = this.#users;
    if (batch.weights !== undefined && this.#weights === undefined) {
      this.#weights = floatBuffer(this.#capacity);
      for (let p = 0; p < users.length; p++) this.#weights.push(1);
    }
    const weights = this.#weights;
    const { numUsers, realRowPtr, realItems } = this.#prepared;
    for (let p = 0; p < n; p++) {
      const u = batch.users[p]!;
      const i = batch.positives[p]!;
      if (!(u >= 0 && u < numUsers && sortedHas(realItems, realRowPtr[u]!, realRowPtr[u + 1]!, i))) {
        throw new InvalidDataError(
          `${where}, pair ${p}`,
          `(user ${u}, item ${i}) is not a real training pair of the AugmentResult. Compute the result from the same training split the loader iterates (and do not wrap a loader twice).`,
        );
      }
      users.push(u);
      this.#positives.push(i);
      weights?.push(batch.weights?.[p] ?? 1);
    }
  }

  result(): DrainedEpoch {
    return {
      users: this.#users.data.subarray(0, this.#users.length),
      positives: this.#positives.data.subarray(0, this.#positives.length),
      weights: this.#weights?.data.subarray(0, this.#weights.length),
      firstBatchSize: this.#firstBatchSize,
      negativesPerPair: this.#negativesPerPair ?? 1,
    };
  }
}

/** Reads a whole epoch of the original's async stream (closing it early on error). */
async function drainAsync(source: AsyncIterator<PairBatch>, into: EpochCollector): Promise<DrainedEpoch> {
  let done = false;
  try {
    for (;;) {
      const step = await source.next();
      if (step.done === true) {
        done = true;
        break;
      }
      into.add(step.value);
    }
  } finally {
    if (!done) await source.return?.();
  }
  return into.result();
}

/** Reads a whole epoch of the original's sync stream (closing it early on error). */
function drainSync(source: Iterator<PairBatch>, into: EpochCollector): DrainedEpoch {
  let done = false;
  try {
    for (;;) {
      const step = source.next();
      if (step.done === true) {
        done = true;
        break;
      }
      into.add(step.value);
    }
  } finally {
    if (!done) source.return?.();
  }
  return into.result();
}

/** Checks that every user with real pairs has at least one item its policy allows as negative. */
function checkNegativesPossible(prepared: PreparedMatrix, policy: NegativePolicy): void {
  const { numUsers, numItems, realRowPtr, matrix } = prepared;
  for (let u = 0; u < numUsers; u++) {
    const real = realRowPtr[u + 1]! - realRowPtr[u]!;
    if (real === 0) continue;
    const forbidden = policy === 'non-real' ? real : matrix.rowPtr[u + 1]! - matrix.rowPtr[u]!;
    if (forbidden >= numItems) {
      throw new InvalidArgumentError(
        'negatives',
        `User ${u} has all ${numItems} items ${policy === 'non-real' ? 'as real training items' : 'real or virtual'}, so no negative can be drawn under policy '${policy}'.${policy === 'non-interacted' ? " Use negatives: 'non-real'." : ''}`,
      );
    }
  }
}

/**
 * Gives an existing training loader VI-MMRec's virtual interactions without changing the
 * model that consumes it. The returned object has the loader's own type: it is a `Proxy` that
 * serves these members itself:
 *
 * - `[Symbol.asyncIterator]()` — one epoch per iteration. The wrapper drains the original's
 *   epoch (every real pair, in its order), draws each purely virtual pair of R̄ with
 *   probability `min(1, R̄_uj)`, shuffles the drawn ones, and merges them into the real
 *   sequence at uniformly random positions (the real pairs keep their relative order). The
 *   merged stream is cut into batches of `batchSize` (default: the original's first batch
 *   size; the last batch may be smaller). Every pair gets fresh negatives under the
 *   `negatives` policy (as many per pair as the original gave, else 1).
 * - `[Symbol.iterator]()`, when the loader has one — the same epochs, synchronously (drained
 *   from the original's sync iterator). Sync and async iterations share the epoch count.
 * - `interactionMatrix()` — R̄ (weighted, or binary with `graph: 'binary'`).
 *   With `inject: 'pairs'` the pair stream alone carries virtual pairs and this is the
 *   original's (else R+); with `inject: 'graph'` the stream carries real pairs only.
 * - `evaluationMask()` — the original's if it has one, else the real items of R̄; never
 *   virtual items.
 *
 * Every other method and getter of the loader runs with the wrapper as `this`, so what it
 * derives from `this` (iterating itself, `this.interactionMatrix()`, `this.length`) sees the
 * augmented epochs: a `forEachBatch` or `steps()` that iterates `this` counts real and
 * virtual pairs. What cannot see them throws `InvalidArgumentError` naming the member instead
 * of describing the real pairs only: a member that reads the loader's private state
 * (`#fields`, a built-in's internal slots), and a plain-value epoch count (`length`, `size`,
 * `numPairs`, `numBatches`, `numSteps`, `steps`, `stepsPerEpoch`, `batchesPerEpoch`).
 * Members listed in `options.passThrough` run on the original unchanged. A plain `batchSize`
 * value reads as the `batchSize` option when one is given; other plain values, setters and
 * writes go to the original. Closures that reach the data without `this` (arrow-function
 * fields, bound functions) are beyond the wrapper's reach.
 *
 * Each pair of the original must be a real pair of `result` (checked; a mismatch rejects the
 * epoch with `InvalidDataError`). Deterministic: the same seed and the same original stream
 * give identical batches epoch by epoch.
 *
 * @param loader - Any loader following the {@link TrainingLoader} protocol.
 * @param result - The `AugmentResult` computed from the loader's training pairs.
 * @param options - Seed, negative policy, graph mode, weights, batch size, pass-through members.
 * @returns The wrapped loader, typed as the original.
 * @throws InvalidArgumentError for bad options, a size mismatch, a loader wrapped twice, or a
 *   user for whom the policy leaves no negative; later, from a member that cannot see the
 *   augmented epoch (see above).
 */
export function withVirtualInteractions<L extends TrainingLoader>(
  loader: L,
  result: AugmentResult,
  options: VirtualInteractionsOptions = {},
): L {
  if (typeof loader !== 'object' || loader === null || typeof loader[Symbol.asyncIterator] !== 'function') {
    throw new InvalidArgumentError(
      'loader',
      'loader must be an object with a [Symbol.asyncIterator]() method (the TrainingLoader protocol).',
    );
  }
  if (wrappers.has(loader)) {
    throw new InvalidArgumentError('loader', 'This loader already has virtual interactions; wrap the original loader once.');
  }
  const opts = resolveOptions(options);
  const prepared = prepareMatrix(result.matrix);
  if (loader.numUsers !== prepared.numUsers || loader.numItems !== prepared.numItems) {
    throw new InvalidArgumentError(
      'result',
      `The loader has ${loader.numUsers} users × ${loader.numItems} items but the AugmentResult has ${prepared.numUsers} × ${prepared.numItems}; compute both from the same dataset.`,
    );
  }
  checkNegativesPossible(prepared, opts.negatives);
  const target: TrainingLoader & { [Symbol.iterator]?: () => Iterator<PairBatch> } = loader;
  const syncIterable = typeof target[Symbol.iterator] === 'function';
  const { matrix } = prepared;
  let epochs = 0;

  /** The augmented batches of one epoch, given the original's real pairs of it. */
  function* merge(drained: DrainedEpoch, rng: Rng): Generator<PairBatch, void, undefined> {
    const chosen = opts.inject === 'graph' ? new Int32Array(0) : sampleVirtual(prepared, rng);
    const { realRowPtr, realItems } = prepared;
    const batchSize = opts.batchSize ?? drained.firstBatchSize ?? FALLBACK_BATCH_SIZE;
    const m = drained.negativesPerPair;
    const withWeights = opts.exposeWeights || drained.weights !== undefined;
    const nonReal = opts.negatives === 'non-real';
    let remReal = drained.users.length;
    let remVirtual = chosen.length;
    let nextReal = 0;
    let nextVirtual = 0;
    while (remReal + remVirtual > 0) {
      const size = Math.min(batchSize, remReal + remVirtual);
      const users = new Int32Array(size);
      const positives = new Int32Array(size);
      const negatives = new Int32Array(size * m);
      const weights = withWeights ? new Float32Array(size) : undefined;
      for (let s = 0; s < size; s++) {
        const takeReal = remVirtual === 0 || (remReal > 0 && rng.nextInt(remReal + remVirtual) < remReal);
        let u: number;
        let w: number;
        if (takeReal) {
          u = drained.users[nextReal]!;
          const i = drained.positives[nextReal]!;
          positives[s] = i;
          const original = drained.weights?.[nextReal] ?? 1;
          w = opts.exposeWeights
            ? original * Math.max(1, matrix.weights[sortedIndex(matrix.items, matrix.rowPtr[u]!, matrix.rowPtr[u + 1]!, i)]!)
            : original;
          nextReal++;
          remReal--;
        } else {
          const v = chosen[nextVirtual]!;
          u = rowOf(matrix.rowPtr, v);
          positives[s] = matrix.items[v]!;
          w = opts.exposeWeights ? Math.max(1, matrix.weights[v]!) : 1;
          nextVirtual++;
          remVirtual--;
        }
        users[s] = u;
        if (weights !== undefined) weights[s] = w;
        const a = nonReal ? realRowPtr[u]! : matrix.rowPtr[u]!;
        const b = nonReal ? realRowPtr[u + 1]! : matrix.rowPtr[u + 1]!;
        const forbidden = nonReal ? realItems : matrix.items;
        for (let t = 0; t < m; t++) negatives[s * m + t] = sampleAllowed(forbidden, a, b, prepared.numItems, rng);
      }
      yield weights === undefined ? { users, positives, negatives } : { users, positives, negatives, weights };
    }
  }

  // The epoch number is taken when the first batch is requested, so an iterator that is
  // created but never read (tf.data and fitDataset create such) does not use up an epoch.
  // Sync and async iterations share the epoch count.
  async function* epochStream(): AsyncGenerator<PairBatch, void, undefined> {
    const epoch = epochs++;
    const drained = await drainAsync(target[Symbol.asyncIterator](), new EpochCollector(prepared, epoch));
    yield* merge(drained, new Rng(opts.seed, epoch, DOMAIN));
  }
  function* syncEpochStream(): Generator<PairBatch, void, undefined> {
    const epoch = epochs++;
    const drained = drainSync(target[Symbol.iterator]!(), new EpochCollector(prepared, epoch));
    yield* merge(drained, new Rng(opts.seed, epoch, DOMAIN));
  }

  const interactionMatrix = (): SparseInteractions => {
    if (opts.inject === 'pairs') {
      if (typeof target.interactionMatrix === 'function') return target.interactionMatrix();
      return evaluationMaskOfResult();
    }
    const values = new Float32Array(matrix.weights.length);
    if (opts.graph === 'binary') values.fill(1);
    else values.set(matrix.weights);
    return { numUsers: matrix.numUsers, numItems: matrix.numItems, rowPtr: matrix.rowPtr.slice(), items: matrix.items.slice(), values };
  };
  const evaluationMaskOfResult = (): SparseInteractions => ({
    numUsers: prepared.numUsers,
    numItems: prepared.numItems,
    rowPtr: prepared.realRowPtr.slice(),
    items: prepared.realItems.slice(),
    values: new Float32Array(prepared.realItems.length).fill(1),
  });
  const evaluationMask = (): SparseInteractions => {
    if (typeof target.evaluationMask === 'function') return target.evaluationMask();
    return evaluationMaskOfResult();
  };
  const overrides = new Map<PropertyKey, unknown>([
    [Symbol.asyncIterator, (): AsyncIterator<PairBatch> => epochStream()],
    ['interactionMatrix', interactionMatrix],
    ['evaluationMask', evaluationMask],
  ]);
  if (syncIterable) overrides.set(Symbol.iterator, (): Iterator<PairBatch> => syncEpochStream());
  for (const key of overrides.keys()) {
    const d = Object.getOwnPropertyDescriptor(loader, key);
    if (d !== undefined && d.configurable === false && d.writable !== true) {
      throw new InvalidArgumentError(
        'loader',
        `The loader's own property ${String(key)} is frozen, so it cannot be wrapped; pass an unfrozen loader.`,
      );
    }
  }

  // The loader's other members run against the wrapper (`this` is the proxy), so what they
  // derive from `this` sees the augmented epoch; what they cannot (private state, fixed
  // counts) throws, naming the member, unless listed in `passThrough`.
  const asView = new WeakMap<object, unknown>();
  const asOriginal = new WeakMap<object, unknown>();
  const viewMethod = (fn: (...args: unknown[]) => unknown, name: string): unknown => {
    let wrapped = asView.get(fn);
    if (wrapped === undefined) {
      wrapped = function (this: unknown, ...args: unknown[]): unknown {
        return guarded(`${name}()`, name, () => Reflect.apply(fn, proxy, args));
      };
      asView.set(fn, wrapped);
    }
    return wrapped;
  };
  const proxy: L = new Proxy(loader, {
    get(t, prop) {
      if (overrides.has(prop)) return overrides.get(prop);
      const own = Object.getOwnPropertyDescriptor(t, prop);
      const frozen = own !== undefined && own.configurable === false && own.writable === false;
      if (opts.passThrough.has(prop) || prop === 'constructor') {
        const value: unknown = Reflect.get(t, prop, t);
        if (typeof value !== 'function' || frozen || prop === 'constructor') return value;
        let fn = asOriginal.get(value);
        if (fn === undefined) {
          fn = (value as (...args: unknown[]) => unknown).bind(t);
          asOriginal.set(value, fn);
        }
        return fn;
      }
      const name = memberName(prop);
      const d = descriptorOf(t, prop);
      const isData = d === undefined || 'value' in d;
      const value: unknown = isData ? Reflect.get(t, prop, t) : guarded(name, name, () => Reflect.get(t, prop, proxy));
      if (typeof value === 'function') return frozen ? value : viewMethod(value as (...args: unknown[]) => unknown, name);
      if (isData && d !== undefined) {
        if (EPOCH_SIZES.has(prop)) throw fixedCountError(name);
        if (prop === 'batchSize' && opts.batchSize !== undefined && value !== opts.batchSize) {
          if (frozen) {
            throw new InvalidArgumentError(
              'batchSize',
              `loader.batchSize is frozen at ${String(value)} but the wrapper's batches hold ${opts.batchSize} pairs; unfreeze the loader or drop the batchSize option.`,
            );
          }
          return opts.batchSize;
        }
      }
      return value;
    },
    has(t, prop) {
      return overrides.has(prop) || Reflect.has(t, prop);
    },
    set(t, prop, value) {
      if (overrides.has(prop)) return false;
      return Reflect.set(t, prop, value, t);
    },
  });
  wrappers.add(proxy);
  return proxy;
}

/**
 * Data properties that count an epoch (its pairs, batches or steps): the original's value is
 * fixed and describes the real pairs only, so the wrapper refuses to hand it out.
 */
const EPOCH_SIZES: ReadonlySet<PropertyKey> = new Set([
  'length',
  'size',
  'numPairs',
  'numBatches',
  'numSteps',
  'steps',
  'stepsPerEpoch',
  'batchesPerEpoch',
]);

function memberName(prop: PropertyKey): string {
  return typeof prop === 'symbol' ? `[${prop.description ?? 'symbol'}]` : String(prop);
}

/** The property descriptor of `prop` on `obj` or the first prototype that has it. */
function descriptorOf(obj: object, prop: PropertyKey): PropertyDescriptor | undefined {
  for (let o: object | null = obj; o !== null; o = Reflect.getPrototypeOf(o)) {
    const d = Reflect.getOwnPropertyDescriptor(o, prop);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** V8's TypeErrors for a private member (or a built-in's internal slot) read through a proxy. */
const PRIVATE_STATE = /private member|must be an instance of class|incompatible receiver/;

function privateStateError(member: string, name: string, cause: TypeError): InvalidArgumentError {
  return new InvalidArgumentError(
    'passThrough',
    `loader.${member} reads the loader's private state (${cause.message}), which cannot see the virtual interactions: through the wrapper it would describe the real pairs only. Make it use public members (iterate \`this\`), or, if it does not depend on the epoch's pairs, pass passThrough: ['${name}'] to run it on the original.`,
    { cause },
  );
}

function fixedCountError(name: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'passThrough',
    `loader.${name} is a fixed value of the original loader, which counts the real pairs only; a wrapped epoch adds the virtual pairs drawn for it, so its size varies. Count the batches as you iterate, or pass passThrough: ['${name}'] to read the original's value.`,
  );
}

/** Runs member `name` by `f`, turning a private-state TypeError (thrown, or a rejection) into a clear error. */
function guarded(member: string, name: string, f: () => unknown): unknown {
  const convert = (e: unknown): unknown =>
    e instanceof TypeError && PRIVATE_STATE.test(e.message) ? privateStateError(member, name, e) : e;
  let value: unknown;
  try {
    value = f();
  } catch (e) {
    throw convert(e);
  }
  if (value instanceof Promise) {
    return value.catch((e: unknown) => {
      throw convert(e);
    });
  }
  return value;
}

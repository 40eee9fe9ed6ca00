// One measurement of `augment`, in a fresh process (run by tools/bench/run.mjs):
//   node tools/bench/measure.mjs DIR STRATEGY BACKEND K LAMBDA
// Prints one JSON line: seconds (total, similarity), maxRSS and the feature arrays' bytes.
import { BACKENDS } from './backends.mjs';

const [dir, strategy, backendName, k, lambda] = process.argv.slice(2);
const root = new URL('../../', import.meta.url);
const { augment } = await import(new URL('packages/core/dist/index.js', root).href);
const { readDataset } = await import(new URL('packages/io/dist/index.js', root).href);

const entry = BACKENDS.find((b) => b.name === backendName);
if (entry === undefined) throw new Error(`unknown backend ${backendName}`);
const backend = await entry.create(await import(new URL(entry.module, root).href));
await backend.init();

const data = await readDataset(dir);
const featureBytes = data.modalities.reduce((s, m) => s + (m.kind === 'dense' ? m.features.byteLength : 0), 0);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = await augment(
  { numUsers: data.numUsers, numItems: data.numItems, train: data.train, modalities: data.modalities },
  { strategy, k: Number(k), lambda: Number(lambda), backend },
);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await backend.dispose();
process.stdout.write(
  `${JSON.stringify({
    total: wall,
    // CPU seconds of all threads during augment: robust to a busy machine, unlike wall time.
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    similarity: result.summary.seconds.similarity,
    maxRSS: process.resourceUsage().maxRSS * 1024,
    featureBytes,
    entries: result.matrix.items.length,
    weights: result.summary.groups.map((g) => g.weight),
    numItems: data.numItems,
    dims: data.modalities.map((m) => m.dim),
    train: data.train.users.length,
  })}\n`,
);

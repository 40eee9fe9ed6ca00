// One measurement of one backend, in a fresh process (run by tools/bench/run.mjs):
//   node tools/bench/measure.mjs DIR STRATEGY BACKEND K LAMBDA OUTDIR
// Runs `vi-mmrec augment` (the CLI's own code path: read, similarity, R̄, write) in this
// process and prints one JSON line: the phase seconds of the summary's `run.seconds`, CPU
// seconds, maxRSS and the feature arrays' bytes. Backends the CLI cannot create (entries with
// `cli: false`) run core's `augment` on the dataset instead (no read/write phases).
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { BACKENDS } from './backends.mjs';

const [dir, strategy, backendName, k, lambda, outDir] = process.argv.slice(2);
const root = new URL('../../', import.meta.url);
const entry = BACKENDS.find((b) => b.name === backendName);
if (entry === undefined) throw new Error(`unknown backend ${backendName}`);

async function viaCli() {
  const { main } = await import(new URL('packages/cli/dist/index.js', root).href);
  await mkdir(outDir, { recursive: true });
  const out = path.join(outDir, `${backendName}-${process.pid}.tsv`);
  const summaryFile = path.join(outDir, `${backendName}-${process.pid}.json`);
  const sink = { write: () => true };
  const args = [
    'augment',
    dir,
    '--backend',
    backendName,
    '--strategy',
    strategy,
    '--k',
    k,
    '--lambda',
    lambda,
    '--out',
    out,
    '--summary',
    summaryFile,
    '--quiet',
  ];
  const code = await main(args, { stdout: sink, stderr: process.stderr, env: process.env });
  if (code !== 0) throw new Error(`vi-mmrec ${args.join(' ')} exited with ${code}`);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8'));
  await rm(out);
  await rm(summaryFile);
  const s = summary.run.seconds;
  return {
    ...s,
    entries: summary.counts.total,
    weights: summary.groups.map((g) => g.weight),
    numItems: summary.dataset.items,
    dims: summary.dataset.modalities.map((m) => m.dim),
    train: summary.dataset.trainInteractions,
  };
}

async function inProcess() {
  const { augment } = await import(new URL('packages/core/dist/index.js', root).href);
  const { readDataset } = await import(new URL('packages/io/dist/index.js', root).href);
  const backend = await entry.create(await import(new URL(entry.module, root).href));
  await backend.init();
  const data = await readDataset(dir);
  const result = await augment(
    { numUsers: data.numUsers, numItems: data.numItems, train: data.train, modalities: data.modalities },
    { strategy, k: Number(k), lambda: Number(lambda), backend },
  );
  await backend.dispose();
  return {
    ...result.summary.seconds,
    entries: result.matrix.items.length,
    weights: result.summary.groups.map((g) => g.weight),
    numItems: data.numItems,
    dims: data.modalities.map((m) => m.dim),
    train: data.train.users.length,
  };
}

const r = entry.cli === false ? await inProcess() : await viaCli();
const cpu = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({
    ...r,
    // CPU seconds of all threads of the whole process: robust to a busy machine, unlike wall time.
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRSS: process.resourceUsage().maxRSS * 1024,
    featureBytes: r.numItems * r.dims.reduce((a, b) => a + b, 0) * 4,
  })}\n`,
);

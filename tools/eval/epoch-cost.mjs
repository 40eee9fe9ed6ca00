// Seconds per training epoch, baseline against augmented, measured interleaved epoch by epoch
// in one process (so machine noise hits both alike): the "training stays cost-free" check of
// docs/results.md. Usage:
//   node tools/eval/epoch-cost.mjs <datasetDir> [--model bpr|lightgcn|vbpr|freedom] [--epochs 3]
//        [--strategy overlay] [--k 3] [--lambda 0.1] [--negatives non-real] [--inject pairs]
// Prints one JSON line: median seconds/epoch of each, their ratio, and the pairs ratio.
import * as tf from '@tensorflow/tfjs';
import { readDataset } from '@vi-mmrec/io';
import { augmentFor, createModel, initTf, loaderFor, prepareData } from '@vi-mmrec/eval';
import '@vi-mmrec/backend-cpu/register';

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const dir = args[0];
if (dir === undefined || dir.startsWith('--')) {
  console.error(
    'usage: node tools/eval/epoch-cost.mjs <datasetDir> [--model bpr] [--epochs 3] [--strategy overlay] [--k 3] [--lambda 0.1] [--negatives non-real] [--inject pairs]',
  );
  process.exit(2);
}
const model = opt('model', 'bpr');
const epochs = Number(opt('epochs', '3'));
const settings = {
  strategy: opt('strategy', 'overlay'),
  k: Number(opt('k', '3')),
  lambda: Number(opt('lambda', '0.1')),
  oAvg: 'modality-mean',
  negatives: opt('negatives', 'non-real'),
  inject: opt('inject', 'pairs'),
};
await initTf();
const ds = await readDataset(dir);
const data = prepareData(ds);
const t0 = performance.now();
const result = await augmentFor(data, settings);
const augmentSeconds = (performance.now() - t0) / 1000;
const variants = [undefined, { result, settings }].map((aug) => {
  const loader = loaderFor(data, 1, aug);
  const m = createModel(model, ds.numUsers, ds.numItems, { seed: 1, modalities: ds.modalities });
  return { loader, model: m, optimizer: tf.train.adam(1e-3), seconds: [], pairs: [] };
});
const rngStub = { next: () => 0.5, int: () => 0 };
for (let e = 0; e < epochs; e++) {
  for (const v of variants) {
    const start = performance.now();
    v.model.beginEpoch(v.loader, rngStub);
    let pairs = 0;
    for await (const batch of v.loader) {
      const loss = v.optimizer.minimize(() => v.model.loss(batch), true, v.model.variables);
      await loss?.data();
      loss?.dispose();
      pairs += batch.users.length;
    }
    v.seconds.push((performance.now() - start) / 1000);
    v.pairs.push(pairs);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const [b, a] = variants.map((v) => ({
  secondsPerEpoch: median(v.seconds),
  pairsPerEpoch: median(v.pairs),
  all: v.seconds.map((s) => +s.toFixed(2)),
}));
console.log(
  JSON.stringify({
    dataset: ds.name,
    model,
    settings,
    epochs,
    augmentSeconds: +augmentSeconds.toFixed(2),
    baseline: b,
    augmented: a,
    secondsRatio: +(a.secondsPerEpoch / b.secondsPerEpoch).toFixed(3),
    pairsRatio: +(a.pairsPerEpoch / b.pairsPerEpoch).toFixed(3),
  }),
);

#!/usr/bin/env node
// Round trip from the CLI to real MMRec: `vi-mmrec augment --format sidecar` on a dataset
// folder, `python3 -m vi_mmrec_mmrec` checks the sidecar against the .inter, then MMRec's own
// quick_start (unmodified, from ../shared/vendor/mmrec) trains the model twice on the same grid
// point — MMRec's TrainDataLoader (baseline) and the shipped VirtualTrainDataLoader — and the
// script prints validation and test Recall@20 / NDCG@20 at the best validation epoch.
//
//   npx tsc -b && node tools/verify/mmrec-roundtrip.mjs [--data ../shared/data/baby] [--model BPR]
//     [--k 3] [--lambda 0.1] [--epochs 150] [--stopping-step 4] [--seed 999] [--config '{"reg_weight":[0.001],"eval_step":5}']
// (defaults shown: MMRec evaluates valid and test every eval_step epochs and stops after
// stopping-step evaluations without a better validation Recall@20; about 10 min per run on 2 cores)
//
// Needs /usr/bin/python3 (or $PYTHON) with NumPy, torch, pandas, scipy, yaml, torchvision,
// PIL, lmdb and matplotlib (Debian: python3-torch python3-torchvision python3-pandas
// python3-lmdb python3-matplotlib); exits 1 saying what is missing otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const shared =
  [resolve(repo, '../shared'), resolve(repo, '../../shared')].find((d) => existsSync(join(d, 'vendor/mmrec'))) ??
  resolve(repo, '../shared');
const { values: opt } = parseArgs({
  options: {
    data: { type: 'string', default: join(shared, 'data/baby') },
    mmrec: { type: 'string', default: join(shared, 'vendor/mmrec') },
    model: { type: 'string', default: 'BPR' },
    k: { type: 'string', default: '3' },
    lambda: { type: 'string', default: '0.1' },
    epochs: { type: 'string', default: '150' },
    'stopping-step': { type: 'string', default: '4' },
    seed: { type: 'string', default: '999' },
    config: { type: 'string', default: '{"reg_weight":[0.001],"eval_step":5}' },
  },
});
const python = process.env.PYTHON ?? '/usr/bin/python3';
const fail = (msg) => {
  process.stderr.write(`mmrec-roundtrip: ${msg}\n`);
  process.exit(1);
};
const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env }, maxBuffer: 1 << 28 });
  if (r.status !== 0)
    fail(
      `${basename(cmd)} ${args.slice(0, 2).join(' ')} … failed (exit ${r.status}):\n${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}`,
    );
  return r.stdout;
};

const missing = spawnSync(python, ['-c', 'import numpy, torch, pandas, scipy, yaml, torchvision, PIL, lmdb, matplotlib'], {
  encoding: 'utf8',
});
if (missing.status !== 0) fail(`${python} lacks MMRec's Python stack: ${(missing.stderr || '').trim().split('\n').pop()}`);
if (!existsSync(join(opt.mmrec, 'src/utils/quick_start.py'))) fail(`MMRec not found at ${opt.mmrec} (--mmrec)`);
const data = resolve(opt.data);
const name = basename(data);
const inter = join(data, `${name}.inter`);
if (!existsSync(inter)) fail(`no ${inter} (--data must be an MMRec dataset folder named like its .inter)`);

const work = mkdtempSync(join(tmpdir(), 'vi-mmrec-roundtrip-'));
try {
  const sidecar = join(work, `${name}.vi-mmrec.tsv`);
  const cli = join(repo, 'packages/cli/bin/vi-mmrec.js');
  run(process.execPath, [
    cli,
    'augment',
    data,
    '--strategy',
    'overlay',
    '--k',
    opt.k,
    '--lambda',
    opt.lambda,
    '--format',
    'sidecar',
    '--out',
    sidecar,
    '--quiet',
  ]);
  const check = JSON.parse(
    run(python, ['-m', 'vi_mmrec_mmrec', sidecar, '--inter', inter, '--json'], {
      PYTHONPATH: join(repo, 'packages/integration-mmrec/python'),
    }),
  );
  process.stdout.write(
    `sidecar      ${check.rows} rows = ${check.real} real + ${check.virtual} virtual (overlay, k ${opt.k}, λ ${opt.lambda}); real pairs = training rows of ${name}.inter\n`,
  );
  const train = (withSidecar) => {
    const args = [
      join(repo, 'tools/verify/mmrec_run.py'),
      '--mmrec',
      opt.mmrec,
      '--data',
      data,
      '--model',
      opt.model,
      '--epochs',
      opt.epochs,
      '--stopping-step',
      opt['stopping-step'],
      '--seed',
      opt.seed,
      '--config',
      opt.config,
    ];
    if (withSidecar) args.push('--sidecar', sidecar);
    const { points, seconds } = JSON.parse(run(python, args).trim().split('\n').pop());
    if (points.length !== 1)
      fail(`expected one grid point, got ${points.length}: fix every grid hyper-parameter of ${opt.model} in --config`);
    return { ...points[0], seconds };
  };
  const base = train(false);
  const epochs = (r) =>
    `${r.epochs_run} epochs (best validation at epoch ${r.best_epoch}${r.epochs_run >= Number(opt.epochs) ? ', STOPPED AT THE CAP: not converged' : ''})`;
  process.stdout.write(
    `baseline     ${opt.model} (MMRec TrainDataLoader): ${epochs(base)}, ${base.seconds.toFixed(0)} s, ${base.train_rows_last_epoch} training rows per epoch\n`,
  );
  const aug = train(true);
  process.stdout.write(
    `augmented    ${opt.model} (VirtualTrainDataLoader): ${epochs(aug)}, ${aug.seconds.toFixed(0)} s, ${aug.train_rows_last_epoch} training rows in the last epoch (${aug.real_train_rows} real)\n\n`,
  );
  const row = (label, split, key) => {
    const b = base[split][key];
    const a = aug[split][key];
    const gain = b > 0 ? `${(((a - b) / b) * 100).toFixed(1)} %` : 'n/a';
    return `${label.padEnd(18)} ${b.toFixed(4).padStart(8)} ${a.toFixed(4).padStart(10)} ${gain.padStart(9)}\n`;
  };
  process.stdout.write(
    `MMRec ${opt.model} on ${name}, seed ${opt.seed}, ≤ ${opt.epochs} epochs (stopping step ${opt['stopping-step']}), config ${opt.config}\n`,
  );
  process.stdout.write(`${'metric'.padEnd(18)} ${'baseline'.padStart(8)} ${'augmented'.padStart(10)} ${'change'.padStart(9)}\n`);
  process.stdout.write(row('valid Recall@20', 'best_valid', 'recall@20'));
  process.stdout.write(row('test Recall@20', 'test', 'recall@20'));
  process.stdout.write(row('test NDCG@20', 'test', 'ndcg@20'));
} finally {
  rmSync(work, { recursive: true, force: true });
}

// End to end `vi-mmrec augment` at the scale of a shop (not run in CI): a dataset folder with
// N items' clustered 384-d float32 features (`image_feat.npy`, the scale benchmark's catalogue,
// tools/bench/scale-features.mjs), U users and L training interactions (`.inter`, every user
// at least once, items uniform), run by the built CLI (run `npx tsc -b` first) under
// /usr/bin/time; prints the CLI's report, wall time, CPU seconds, peak RSS and the output's size.
//
//   node tools/bench/e2e-scale.mjs [--items 1e6] [--users 1e6] [--interactions 2e7] [--k 3]
//        [--backend usearch] [--strategy overlay] [--format parquet|tsv] [--keep]
//
// The folder goes to a temporary directory and is deleted afterwards unless --keep.
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIM, ensureFeatures } from './scale-features.mjs';
import { writeTrainLog } from './synthetic-log.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const p = args.indexOf(`--${name}`);
  return p < 0 ? fallback : args[p + 1];
};
const items = Number(opt('items', 1e6));
const users = Number(opt('users', 1e6));
const interactions = Number(opt('interactions', 2e7));
const k = Number(opt('k', 3));
const backend = opt('backend', 'usearch');
const strategy = opt('strategy', 'overlay');
const format = opt('format', 'parquet');
const fmt = (x) => x.toLocaleString('en-US');

/** A float32 `.npy` of `rows × DIM` whose data are the bytes of the raw float32 file `raw`. */
async function writeNpy(path, raw, rows) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${DIM}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  head.writeUInt16LE(header.length, 8);
  head.write(header, 10, 'latin1');
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  for await (const chunk of createReadStream(raw, { highWaterMark: 1 << 24 })) writeSync(fd, chunk);
  closeSync(fd);
}

const dir = mkdtempSync(join(tmpdir(), 'vi-mmrec-e2e-'));
const data = join(dir, 'shop');
mkdirSync(data);
const t0 = performance.now();
await writeNpy(join(data, 'image_feat.npy'), await ensureFeatures(items), items);
writeTrainLog(join(data, 'shop.inter'), { interactions, users, items });
const bytes = (f) => `${(statSync(join(data, f)).size / 1e9).toFixed(2)} GB`;
console.log(
  `dataset: ${fmt(items)} items × ${DIM}-d float32 features (${bytes('image_feat.npy')}), ${fmt(users)} users, ${fmt(interactions)} training interactions (${bytes('shop.inter')}): ${((performance.now() - t0) / 1000).toFixed(0)} s to write`,
);

const out = join(dir, `out.${format === 'parquet' ? 'parquet' : 'tsv'}`);
const cli = join(root, 'packages/cli/bin/vi-mmrec.js');
const run = spawnSync(
  '/usr/bin/time',
  [
    '-f',
    '%e %U %S %M',
    process.execPath,
    cli,
    'augment',
    data,
    '--strategy',
    strategy,
    '--k',
    String(k),
    '--lambda',
    '0.1',
    '--backend',
    backend,
    '--out',
    out,
  ],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 },
);
process.stdout.write(run.stdout);
const timeLine = run.stderr.trim().split('\n').at(-1);
if (run.status !== 0) {
  // The CLI's progress goes to stderr; its last lines say what failed.
  console.error(run.stderr.split('\n').slice(-6).join('\n'));
  process.exitCode = 1;
} else {
  const [wall, user, sys, kb] = timeLine.split(' ').map(Number);
  console.log(
    `augment --backend ${backend} --strategy ${strategy} --k ${k} → ${format}: ${wall.toFixed(0)} s wall, ${(user + sys).toFixed(0)} CPU s, peak RSS ${fmt(Math.round(kb / 1024))} MiB, output ${(statSync(out).size / 1e9).toFixed(2)} GB`,
  );
}
if (args.includes('--keep')) console.log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });

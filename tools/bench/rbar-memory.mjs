// Peak memory of `vi-mmrec augment` on a large synthetic log (not run in CI): writes a dataset
// folder with N training interactions (default 10^7, 10^6 users, 10^5 items) and two
// neighbour-list modalities (10 neighbours per item), runs the built CLI (run `npx tsc -b`
// first) with /usr/bin/time, and prints wall time, peak RSS and the output's size.
//
//   node tools/bench/rbar-memory.mjs [--interactions 1e7] [--users 1e6] [--items 1e5] [--k 3]
//                                   [--cli packages/cli/bin/vi-mmrec.js] [--keep]
//
// --cli another build's bin compares versions on the same data (e.g. before/after a change).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLines, writeTrainLog } from './synthetic-log.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const p = args.indexOf(`--${name}`);
  return p < 0 ? fallback : args[p + 1];
};
const interactions = Number(opt('interactions', 1e7));
const users = Number(opt('users', 1e6));
const items = Number(opt('items', 1e5));
const k = Number(opt('k', 3));
const clis = args.flatMap((a, i) => (a === '--cli' ? [resolve(args[i + 1])] : []));
if (clis.length === 0) clis.push(join(root, 'packages/cli/bin/vi-mmrec.js'));

const dir = mkdtempSync(join(tmpdir(), 'vi-mmrec-rbar-'));
const data = join(dir, 'big');
mkdirSync(data);
const t0 = performance.now();
writeTrainLog(join(data, 'big.inter'), { interactions, users, items });
for (const m of ['image', 'text']) {
  writeLines(join(data, `${m}_knn10.tsv`), 'itemID\tneighborID\trank\tcosine\n', items * 10, (r) => {
    const i = Math.floor(r / 10);
    const j = (i + 1 + (((r % 10) * 7919 + (m === 'text' ? 13 : 0)) % (items - 1))) % items;
    return `${i}\t${j}\t${(r % 10) + 1}\t${(0.9 - (r % 10) * 0.01).toFixed(2)}\n`;
  });
}
console.log(
  `dataset: ${interactions.toLocaleString('en-US')} interactions, ${users.toLocaleString('en-US')} users, ${items.toLocaleString('en-US')} items, 2 neighbour-list modalities (10 per item): ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

for (const [n, cli] of clis.entries()) {
  const out = join(dir, `out-${n}.tsv`);
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%e %M',
      process.execPath,
      cli,
      'augment',
      data,
      '--strategy',
      'overlay',
      '--k',
      String(k),
      '--lambda',
      '0.1',
      '--out',
      out,
      '-q',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exitCode = 1;
    continue;
  }
  const [secs, kb] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  const entries = /entries\s+([\d,]+)/.exec(r.stdout)?.[1] ?? '?';
  console.log(
    `${cli}: ${secs.toFixed(1)} s, peak RSS ${(kb / 1024).toFixed(0)} MiB, R̄ ${entries} entries, output ${(statSync(out).size / 1e9).toFixed(2)} GB`,
  );
  if (!args.includes('--keep')) rmSync(out);
}
if (args.includes('--keep')) console.log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });

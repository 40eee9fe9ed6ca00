// Large-input benchmark (not run in CI): generates a ~2.5 GB float32 `.npy` and a ~2.5 GB
// `.inter` in a temporary folder, reads each in its own Node process with @vi-mmrec/io (built:
// run `npx tsc -b` first), reports wall time and peak RSS, then deletes the files.
//
//   node tools/bench/large-input.mjs [--gb 2.5] [--dim 1024] [--keep] [--dataset]
//
// --dataset also reads the folder with readDataset (both files at once). --keep leaves the files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const p = args.indexOf(`--${name}`);
  return p < 0 ? fallback : Number(args[p + 1]);
};
const targetBytes = opt('gb', 2.5) * 1e9;
const dim = opt('dim', 1024);
const ioModule = pathToFileURL(join(root, 'packages/io/dist/index.js')).href;

const dir = mkdtempSync(join(tmpdir(), 'vi-mmrec-large-'));
const items = Math.ceil(targetBytes / (dim * 4));

function writeNpy(path) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${items}, ${dim}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length, true);
  for (let p = 0; p < header.length; p++) head[10 + p] = header.charCodeAt(p);
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  const blockRows = 4096;
  const block = new Float32Array(blockRows * dim);
  for (let r = 0; r < items; r += blockRows) {
    const n = Math.min(blockRows, items - r);
    for (let p = 0; p < n * dim; p++) block[p] = ((r * dim + p) % 9973) / 9973 - 0.5;
    writeSync(fd, new Uint8Array(block.buffer, 0, n * dim * 4));
  }
  closeSync(fd);
}

function writeInter(path) {
  const users = 1_000_000;
  const fd = openSync(path, 'w');
  const buf = new Uint8Array(1 << 24);
  let at = 0;
  const put = (s) => {
    for (let p = 0; p < s.length; p++) buf[at++] = s.charCodeAt(p);
  };
  const putInt = (v) => {
    const s = String(v);
    put(s);
  };
  put('userID\titemID\tx_label\ttimestamp\n');
  let written = 0;
  let rows = 0;
  while (written + at < targetBytes) {
    putInt(rows % users);
    buf[at++] = 9;
    putInt((rows * 7919) % items);
    buf[at++] = 9;
    buf[at++] = 48 + (rows % 10 < 8 ? 0 : (rows % 10) - 7);
    buf[at++] = 9;
    putInt(1_500_000_000 + rows);
    buf[at++] = 10;
    rows++;
    if (at > buf.length - 64) {
      writeSync(fd, buf, 0, at);
      written += at;
      at = 0;
    }
  }
  writeSync(fd, buf, 0, at);
  closeSync(fd);
  return rows;
}

/** Runs `code` (an ES module body with `io` imported) in a fresh Node; returns its JSON line and peak RSS. */
function measure(label, code) {
  const script = `import * as io from ${JSON.stringify(ioModule)};
const t0 = performance.now();
const info = await (async () => { ${code} })();
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, ...info }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    console.log(`${label}: FAILED (exit ${r.status})\n${r.stderr}`);
    return;
  }
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log(
    `${label}: ${out.seconds.toFixed(1)} s, peak RSS ${(out.maxRssMiB / 1024).toFixed(2)} GiB, ${JSON.stringify({ ...out, seconds: undefined, maxRssMiB: undefined })}`,
  );
}

try {
  const npy = join(dir, 'text_feat.npy');
  const inter = join(dir, 'big.inter');
  let t = performance.now();
  writeNpy(npy);
  console.log(
    `wrote ${npy}: ${(statSync(npy).size / 1e9).toFixed(3)} GB (${items} × ${dim} float32) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  t = performance.now();
  const rows = writeInter(inter);
  console.log(
    `wrote ${inter}: ${(statSync(inter).size / 1e9).toFixed(3)} GB (${rows} rows) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  measure(
    'readNpy',
    `const a = await io.readNpy(${JSON.stringify(npy)}); return { shape: a.shape, bytes: a.data.byteLength, last: a.data[a.data.length - 1] };`,
  );
  measure(
    'readInteractions',
    `const r = await io.readInteractions(${JSON.stringify(inter)}); return { rows: r.users.length, numUsers: r.numUsers, numItems: r.numItems };`,
  );
  if (args.includes('--dataset')) {
    measure(
      'readDataset',
      `const d = await io.readDataset(${JSON.stringify(dir)}); return { numUsers: d.numUsers, numItems: d.numItems, train: d.train.users.length };`,
    );
  }
} finally {
  if (args.includes('--keep')) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

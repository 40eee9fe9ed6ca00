// Parquet speed (not run in CI): writes an enriched matrix of N entries as TSV and as Parquet
// with @vi-mmrec/io (built: run `npx tsc -b` first), reads an N-row `.inter.parquet` back, and,
// for comparison, reads the same file with parquet-wasm (the Rust parquet crate, a devDependency
// of @vi-mmrec/io). Prints seconds and file sizes; deletes its temporary folder.
//
//   node tools/bench/parquet-io.mjs [--rows 10000000]
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const p = args.indexOf('--rows');
const n = p < 0 ? 10_000_000 : Number(args[p + 1]);
const io = await import(pathToFileURL(join(root, 'packages/io/dist/index.js')).href);
const fromIo = createRequire(join(root, 'packages/io/package.json'));
const pw = await import(pathToFileURL(fromIo.resolve('parquet-wasm')).href);

const dir = mkdtempSync(join(tmpdir(), 'vi-mmrec-parquet-'));
const time = async (label, fn) => {
  const t = performance.now();
  const r = await fn();
  console.log(`${label}: ${((performance.now() - t) / 1000).toFixed(2)} s`);
  return r;
};
try {
  const numUsers = Math.ceil(n / 50);
  const rowPtr = new Int32Array(numUsers + 1);
  for (let u = 0; u < numUsers; u++) rowPtr[u + 1] = Math.min(n, (u + 1) * 50);
  const items = new Int32Array(n);
  const weights = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    items[e] = (e % 50) * 1000 + ((e * 7) % 997);
    weights[e] = e % 50 < 10 ? 1 : 0.1 + (e % 17) / 1000;
  }
  const matrix = { numUsers, numItems: 50_000, rowPtr, items, weights };
  const tsv = join(dir, 'r.tsv');
  const pq = join(dir, 'r.parquet');
  await time(`write R̄ ${n} entries as TSV`, () => io.writeEnrichedMatrix(tsv, matrix));
  await time(`write R̄ ${n} entries as Parquet`, () => io.writeEnrichedMatrix(pq, matrix));
  console.log(`sizes: TSV ${(statSync(tsv).size / 1e6).toFixed(1)} MB, Parquet ${(statSync(pq).size / 1e6).toFixed(1)} MB`);
  // The same file read as interactions (userID, itemID and an x_label column are needed: reuse
  // the matrix writer's output through parquet-wasm into a table with x_label = 0).
  const inter = join(dir, 'a.inter.parquet');
  const rows = await time('parquet-wasm: read R̄ Parquet (whole file)', () => pw.readParquet(readFileSync(pq)));
  rows.free();
  const arrow = await import(pathToFileURL(fromIo.resolve('apache-arrow')).href);
  const users = new Int32Array(n);
  for (let u = 0; u < numUsers; u++) users.fill(u, rowPtr[u], rowPtr[u + 1]);
  const table = arrow.tableFromArrays({ userID: users, itemID: items, x_label: new Int32Array(n) });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(inter, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'))));
  const r = await time(`@vi-mmrec/io readInteractions: ${n}-row .inter.parquet (snappy, by row group)`, () => io.readInteractions(inter));
  console.log(
    `  rows ${r.users.length}, users ${r.numUsers}; peak RSS so far ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

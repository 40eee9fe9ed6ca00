// Sharded runs: `neighbours --shard i/n` → `augment --neighbours --shard i/n` → `merge` gives,
// byte for byte, the file of one plain `augment` run (n local processes, and any n in
// process), and every inconsistency is a one-line error with exit code 2.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { main } from '../src/index.js';
import { memoryIo, tempDir } from './helpers.js';
import { BIN, ensureBuilt, runCli } from './subprocess.js';

const tmp = tempDir('vi-mmrec-shard-');
const data = join(tmp.dir, 'syn');
beforeAll(async () => {
  ensureBuilt();
  const dataset = synthesizeDataset({
    numUsers: 300,
    numItems: 220,
    interactions: 2400,
    modalities: [
      { name: 'image', dim: 12 },
      { name: 'text', dim: 8 },
    ],
    seed: 7,
    name: 'syn',
  });
  await writeDataset(data, dataset);
  // A third modality as neighbour lists: stored tables must carry list-only modalities too.
  let knn = 'itemID\tneighborID\trank\tcosine\n';
  for (let i = 0; i < 220; i++)
    for (let r = 0; r < 4; r++)
      knn += `${i}\t${(i * 7 + r * 31 + 1) % 220 === i ? (i + 1) % 220 : (i * 7 + r * 31 + 1) % 220}\t${r + 1}\t${(0.9 - r * 0.1 - (i % 5) * 0.01).toFixed(3)}\n`;
  writeFileSync(join(data, 'tag_knn4.tsv'), knn);
}, 300_000);
afterAll(() => tmp.cleanup());

/** Runs the bin asynchronously (so n shards run as n concurrent processes). */
async function runAsync(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function run(args: readonly string[]): Promise<{ code: number; err: string; out: string }> {
  const io = memoryIo();
  const code = await main(args, io);
  return { code, err: io.err(), out: io.out() };
}

const settings = (strategy: string, k: number, lambda: number, extra: string[] = []): string[] => [
  '--strategy',
  strategy,
  '--k',
  String(k),
  '--lambda',
  String(lambda),
  '--backend',
  'cpu',
  ...extra,
];

describe('sharded neighbours → augment → merge', () => {
  it('3 local processes per stage give the bytes of one augment run (overlay and synergistic)', async () => {
    const nb = join(tmp.dir, 'nb3');
    mkdirSync(nb);
    const shards = [0, 1, 2];
    const nbRuns = await Promise.all(
      shards.map(async (i) => runAsync(['neighbours', data, '--k', '5', '--backend', 'cpu', '--shard', `${i}/3`, '--out-dir', nb, '-q'])),
    );
    for (const r of nbRuns) expect(r.stderr).toBe('');
    for (const strategy of ['overlay', 'synergistic']) {
      const single = join(tmp.dir, `single-${strategy}.tsv`);
      expect(runCli(['augment', data, ...settings(strategy, 5, 0.1), '--out', single, '-q']).code).toBe(0);
      const parts = shards.map((i) => join(tmp.dir, `p3-${strategy}-${i}.tsv`));
      const runs = await Promise.all(
        shards.map(async (i) =>
          runAsync([
            'augment',
            data,
            ...settings(strategy, 5, 0.1).slice(0, 6),
            '--neighbours',
            nb,
            '--shard',
            `${i}/3`,
            '--out',
            parts[i]!,
            '-q',
          ]),
        ),
      );
      for (const r of runs) expect(r.stderr).toBe('');
      const merged = join(tmp.dir, `merged-${strategy}.tsv`);
      const m = runCli(['merge', parts[2]!, parts[0]!, parts[1]!, '--out', merged]);
      expect(m.stderr).toBe('');
      expect(readFileSync(merged).equals(readFileSync(single))).toBe(true);
      expect(readFileSync(single, 'utf8').split('\n').length).toBeGreaterThan(2400);
    }
  }, 600_000);

  it('any n (neighbours shards and augment shards independently) merges to the single run', async () => {
    const single = join(tmp.dir, 'single-prop.tsv');
    let run0 = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom('overlay', 'synergistic'),
        fc.constantFrom('modality-mean', 'density'),
        fc.integer({ min: 1, max: 6 }),
        async (nNb, nAug, strategy, oAvg, k) => {
          const dir = join(tmp.dir, `prop-${run0++}`);
          mkdirSync(dir);
          const s = ['--strategy', strategy, '--k', String(k), '--lambda', '0.25', '--o-avg', oAvg];
          expect((await run(['augment', data, ...s, '--backend', 'cpu', '--out', single, '-q'])).code).toBe(0);
          for (let i = 0; i < nNb; i++)
            expect(
              (await run(['neighbours', data, '--k', '6', '--backend', 'cpu', '--shard', `${i}/${nNb}`, '--out-dir', dir, '-q'])).err,
            ).toBe('');
          const parts: string[] = [];
          for (let i = 0; i < nAug; i++) {
            parts.push(join(dir, `part-${i}.tsv`));
            expect((await run(['augment', data, ...s, '--neighbours', dir, '--shard', `${i}/${nAug}`, '--out', parts[i]!, '-q'])).err).toBe(
              '',
            );
          }
          const merged = join(dir, 'merged.tsv');
          expect((await run(['merge', ...parts.reverse(), '--out', merged])).err).toBe('');
          if (k === 6 || strategy === 'overlay') {
            // Same k as stored, or per-modality prefixes (exact backend): identical bytes.
            expect(readFileSync(merged).equals(readFileSync(single))).toBe(true);
          }
          // Without --shard, --neighbours writes the whole file, identical to the merge.
          const whole = join(dir, 'whole.tsv');
          expect((await run(['augment', data, ...s, '--neighbours', dir, '--out', whole, '-q'])).err).toBe('');
          expect(readFileSync(whole).equals(readFileSync(merged))).toBe(true);
          rmSync(dir, { recursive: true });
        },
      ),
      { seed: 5, numRuns: 8 },
    );
  }, 600_000);
});

describe('sharded runs: one-line errors, exit 2', () => {
  it.each([
    [['--shard', '1-3'], /--shard must be i\/n/],
    [['--shard', '3/3'], /i must be below n/],
    [['--shard', '0/0'], /n must be ≥ 1/],
    [['--shard', 'a/b'], /--shard must be i\/n/],
  ])('neighbours and augment reject %j', async (extra, message) => {
    for (const args of [
      ['neighbours', data, '--out-dir', tmp.dir, ...extra],
      ['augment', data, ...settings('overlay', 3, 0.1), '--out', join(tmp.dir, 'x.tsv'), ...extra],
    ]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(message);
    }
  });

  it('a missing shard or table file in --neighbours is named', async () => {
    const nb = join(tmp.dir, 'nb-missing');
    mkdirSync(nb);
    for (const i of [0, 2])
      expect((await run(['neighbours', data, '--k', '3', '--backend', 'cpu', '--shard', `${i}/3`, '--out-dir', nb, '-q'])).code).toBe(0);
    const out = join(tmp.dir, 'never.tsv');
    let r = await run(['augment', data, '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--neighbours', nb, '--out', out, '-q']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing neighbours\.1-of-3\.json/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect((await run(['neighbours', data, '--k', '3', '--backend', 'cpu', '--shard', '1/3', '--out-dir', nb, '-q'])).code).toBe(0);
    rmSync(join(nb, 'modality.text.2-of-3.tsv'));
    r = await run(['augment', data, '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--neighbours', nb, '--out', out, '-q']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing modality\.text\.2-of-3\.tsv/);
    expect((await run(['neighbours', data, '--k', '3', '--backend', 'cpu', '--shard', '2/3', '--out-dir', nb, '-q'])).code).toBe(0);
    r = await run(['augment', data, '--strategy', 'overlay', '--k', '4', '--lambda', '0.1', '--neighbours', nb, '--out', out, '-q']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--k 4 is more than the 3 neighbours per item stored/);
    expect(existsSync(out)).toBe(false);
    // A store of per-modality tables only cannot serve the synergistic strategy.
    const nbOverlay = join(tmp.dir, 'nb-overlay');
    mkdirSync(nbOverlay);
    expect(
      (await run(['neighbours', data, '--k', '3', '--backend', 'cpu', '--strategy', 'overlay', '--out-dir', nbOverlay, '-q'])).code,
    ).toBe(0);
    r = await run([
      'augment',
      data,
      '--strategy',
      'synergistic',
      '--k',
      '3',
      '--lambda',
      '0.1',
      '--neighbours',
      nbOverlay,
      '--out',
      out,
      '-q',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/need the fused tables/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('merge rejects parts of different settings, a missing part and a part given twice', async () => {
    const part = (name: string): string => join(tmp.dir, `m-${name}.tsv`);
    const aug = async (lambda: string, shard: string, out: string): Promise<void> => {
      expect((await run(['augment', data, ...settings('overlay', 3, Number(lambda)), '--shard', shard, '--out', out, '-q'])).code).toBe(0);
    };
    await aug('0.1', '0/2', part('a0'));
    await aug('0.1', '1/2', part('a1'));
    await aug('0.2', '1/2', part('b1'));
    const out = join(tmp.dir, 'merged-bad.tsv');
    for (const [parts, message] of [
      [[part('a0'), part('b1')], /come from different runs \(settings or dataset differ\)/],
      [[part('a0')], /missing part 1\/2 of 2/],
      [[part('a0'), part('a1'), part('a1')], /are both shard 1\/2/],
      [[part('a0'), join(data, 'syn.inter')], /not a part file/],
    ] as const) {
      const r = await run(['merge', ...parts, '--out', out]);
      expect(r.code).toBe(parts.length === 2 && String(message).includes('not a part') ? 1 : 2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
    expect((await run(['merge', part('a1'), part('a0'), '--out', out])).code).toBe(0);
  });
});

describe('sharded neighbours on a backend that searches only its rows', () => {
  it('onnxruntime-node: 3 shards (each searching its own items, several column chunks) write the unsharded tables', async () => {
    // 1,300 items: more than two 512-column chunks, so the unsharded run uses the symmetric
    // chunk schedule and the shards the row-range one; the tables must agree byte for byte.
    const dir = join(tmp.dir, 'ort-data');
    await writeDataset(
      dir,
      synthesizeDataset({
        numUsers: 50,
        numItems: 1300,
        interactions: 400,
        modalities: [
          { name: 'image', dim: 24 },
          { name: 'text', dim: 16 },
        ],
        seed: 11,
        name: 'ort',
      }),
    );
    const whole = join(tmp.dir, 'ort-nb-whole');
    const sharded = join(tmp.dir, 'ort-nb-3');
    mkdirSync(whole);
    mkdirSync(sharded);
    const nb = async (out: string, extra: string[]): Promise<{ code: number; err: string; out: string }> =>
      run(['neighbours', dir, '--k', '7', '--backend', 'onnxruntime-node', '--out-dir', out, '-q', ...extra]);
    expect((await nb(whole, [])).err).toBe('');
    for (const i of [0, 1, 2]) expect((await nb(sharded, ['--shard', `${i}/3`])).err).toBe('');
    const body = (file: string): string => readFileSync(file, 'utf8').split('\n').slice(1).join('\n');
    for (const table of ['modality.image', 'modality.text', 'fused']) {
      const single = body(join(whole, `${table}.0-of-1.tsv`));
      const joined = [0, 1, 2].map((i) => body(join(sharded, `${table}.${i}-of-3.tsv`))).join('');
      expect(single.split('\n').length).toBeGreaterThan(1300 * 7);
      expect(joined === single, table).toBe(true);
    }
  }, 600_000);
});

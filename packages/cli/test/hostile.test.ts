// Hostile input through the real bin, grouped by promise:
// - nothing lost: a run replaces --out and --summary together, or leaves every previous file
//   byte-identical (Ctrl-C, SIGTERM, a second signal, a full disk, a read-only folder), and
//   never leaves a temporary file;
// - clear error: outputs that are dataset inputs, devices or directories are refused before
//   any work, with one line naming the option;
// - memory bounded by data: ids, k and seeds taken from input never size memory (peak RSS
//   under 500 MiB for inputs under 1 MB, measured by a preloaded getrusage hook).
// Signals land at controlled points through the internal VI_MMREC_INTERNAL_PAUSE hook
// (src/internal-pause.ts).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { tempDir } from './helpers.js';
import { BIN, PACKAGE_DIR, ensureBuilt, ensureEvalBuilt } from './subprocess.js';

const tmp = tempDir('vi-mmrec-hostile-');
const DATA = join(tmp.dir, 'data');
const RSS_HOOK = join(PACKAGE_DIR, 'test', 'fixtures', 'max-rss.mjs');
const MIB = 1024;
const FIXED = ['--strategy', 'overlay', '--k', '5', '--lambda', '0.1', '--backend', 'cpu'];

beforeAll(async () => {
  ensureBuilt();
  await writeDataset(DATA, synthesizeDataset({ numUsers: 50, numItems: 40, interactions: 300, modalities: [{ name: 'img', dim: 8 }] }));
}, 300_000);
afterAll(() => tmp.cleanup());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak RSS in KiB, undefined when the process crashed before its exit hook. */
  maxRssKib: number | undefined;
}

let n = 0;
/**
 * Runs the bin. `signals` are sent once stderr shows `paused at <phase>`, each after the
 * previous one (a short gap so the first is handled before the second).
 */
async function run(
  args: readonly string[],
  options: { pause?: string; signals?: NodeJS.Signals[]; env?: Record<string, string>; onPause?: () => void } = {},
): Promise<Run> {
  const rssFile = join(tmp.dir, `rss-${n++}`);
  const env: Record<string, string | undefined> = {
    ...process.env,
    VI_MMREC_DEBUG: undefined,
    VI_MMREC_TEST_RSS_FILE: rssFile,
    ...(options.pause === undefined ? {} : { VI_MMREC_INTERNAL_PAUSE: options.pause }),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', RSS_HOOK, BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && options.signals !== undefined && stderr.includes('[internal] paused at')) {
        sent = true;
        options.onPause?.();
        void (async () => {
          for (const s of options.signals!) {
            child.kill(s);
            await new Promise((r) => setTimeout(r, 300));
          }
        })();
      }
    });
    child.on('close', (c) => resolve(c));
  });
  const maxRssKib = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : undefined;
  return { code, stdout, stderr, maxRssKib };
}

/** A folder holding previous outputs; `snapshot()` reads every file in it (temporary ones included). */
function previous(): { dir: string; out: string; summary: string; snapshot: () => Record<string, string> } {
  const dir = join(tmp.dir, `prev${n++}`);
  mkdirSync(dir);
  const out = join(dir, 'enriched.tsv');
  const summary = join(dir, 'summary.json');
  writeFileSync(out, 'previous matrix\n');
  writeFileSync(summary, '{"previous": true}\n');
  const snapshot = (): Record<string, string> =>
    Object.fromEntries(
      readdirSync(dir)
        .sort()
        .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
    );
  return { dir, out, summary, snapshot };
}

const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1)!;
const UNCHANGED = 'no output was replaced: existing files are unchanged and no temporary file is left';

describe('nothing lost: outputs are one transaction', () => {
  it('a successful run replaces --out and --summary together', async () => {
    const p = previous();
    const r = await run(['augment', DATA, ...FIXED, '--out', p.out, '--summary', p.summary, '-q']);
    expect(r.code).toBe(0);
    const files = p.snapshot();
    expect(Object.keys(files)).toEqual(['enriched.tsv', 'summary.json']);
    expect(files['enriched.tsv']!.startsWith('userID\titemID\tweight\n')).toBe(true);
    expect(JSON.parse(files['summary.json']!).output.matrix).toBe(p.out);
  }, 120_000);

  for (const [phase, signal, code] of [
    ['after-augment', 'SIGINT', 130],
    ['staged-matrix', 'SIGINT', 130],
    ['before-commit', 'SIGINT', 130],
    ['after-augment', 'SIGTERM', 143],
    ['staged-matrix', 'SIGTERM', 143],
    ['before-commit', 'SIGHUP', 129],
  ] as const) {
    it(`one ${signal} at ${phase} keeps both previous files byte-identical and exits ${code}`, async () => {
      const p = previous();
      const before = p.snapshot();
      const r = await run(['augment', DATA, ...FIXED, '--out', p.out, '--summary', p.summary], { pause: phase, signals: [signal] });
      expect(r.code).toBe(code);
      expect(lastLine(r.stderr)).toBe(`vi-mmrec: stopped by ${signal}; ${UNCHANGED}`);
      expect(r.stdout).toBe('');
      expect(p.snapshot()).toEqual(before);
    }, 120_000);
  }

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`a second ${signal} while the matrix is in its temporary file exits ${code} at once and leaves no temporary file`, async () => {
      const p = previous();
      const before = p.snapshot();
      let during: string[] = [];
      // hang: the pause ignores the first signal, so only the second can end the process.
      const r = await run(['augment', DATA, ...FIXED, '--out', p.out, '--summary', p.summary], {
        pause: 'hang:staged-matrix',
        signals: [signal, signal],
        onPause: () => (during = Object.keys(p.snapshot())),
      });
      // The temporary file existed when the signals came.
      expect(during.filter((f) => /^\.vi-mmrec-\d+-[0-9a-f]{12}\.tmp$/.test(f))).toHaveLength(1);
      expect(r.code).toBe(code);
      expect(lastLine(r.stderr)).toBe(`vi-mmrec: ${signal} again: stopped at once; no output was replaced and no temporary file is left`);
      expect(p.snapshot()).toEqual(before);
    }, 120_000);
  }

  // A real full disk and a real read-only folder: a tiny tmpfs (needs mount rights, i.e. root
  // with CAP_SYS_ADMIN; skipped elsewhere). chmod cannot be used: root ignores it.
  const mnt = join(tmp.dir, 'mnt');
  mkdirSync(mnt, { recursive: true });
  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status === 0;
  if (canMount) spawnSync('umount', [mnt]);

  it.skipIf(!canMount)(
    'a summary that cannot be written (full disk) keeps the previous --out and --summary',
    async () => {
      const p = previous();
      const full = join(tmp.dir, `full${n++}`);
      mkdirSync(full);
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]).status).toBe(0);
      try {
        const summary = join(full, 'summary.json');
        writeFileSync(summary, '{"previous": true}\n');
        // Fill the file system: the summary's temporary file can be created but not written.
        spawnSync('dd', ['if=/dev/zero', `of=${join(full, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
        const beforeOut = p.snapshot();
        const r = await run(['augment', DATA, ...FIXED, '--out', p.out, '--summary', summary, '-q']);
        expect(r.code).toBe(1);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/summary\.json.*no space left on device/);
        expect(p.snapshot()).toEqual(beforeOut);
        expect(readFileSync(summary, 'utf8')).toBe('{"previous": true}\n');
        expect(readdirSync(full).sort()).toEqual(['filler', 'summary.json']);
      } finally {
        spawnSync('umount', [full]);
      }
    },
    120_000,
  );

  it.skipIf(!canMount)(
    'a read-only --summary folder is refused before any work',
    async () => {
      const p = previous();
      const ro = join(tmp.dir, `ro${n++}`);
      mkdirSync(ro);
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', ro]).status).toBe(0);
      try {
        writeFileSync(join(ro, 'summary.json'), 'old');
        expect(spawnSync('mount', ['-o', 'remount,ro', ro]).status).toBe(0);
        const before = p.snapshot();
        const r = await run(['augment', DATA, ...FIXED, '--out', p.out, '--summary', join(ro, 'summary.json')]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^vi-mmrec: .*summary\.json: cannot write \(read-only file system, EROFS\)/);
        expect(r.stderr).not.toContain('similarity');
        expect(p.snapshot()).toEqual(before);
        expect(readFileSync(join(ro, 'summary.json'), 'utf8')).toBe('old');
      } finally {
        spawnSync('umount', [ro]);
      }
    },
    120_000,
  );
});

describe('clear error: outputs that must not be written are refused before any work', () => {
  const inter = (): string =>
    join(
      DATA,
      readdirSync(DATA).find((f) => f.endsWith('.inter'))!,
    );
  const dataSnapshot = (): Record<string, string> =>
    Object.fromEntries(
      readdirSync(DATA)
        .sort()
        .map((f) => [f, readFileSync(join(DATA, f)).toString('base64')]),
    );

  it.each([
    ["the dataset's .inter", '--out', (): string => inter(), "it is the dataset's input"],
    ["the dataset's img_feat.npy", '--summary', (): string => join(DATA, 'img_feat.npy'), "it is the dataset's input"],
    ['a new *_knn.tsv in the dataset folder', '--out', (): string => join(DATA, 'extra_knn.tsv'), 'would read it as an input'],
    ['/dev/null', '--out', (): string => '/dev/null', 'it is a device'],
    ['a directory', '--out', (): string => tmp.dir, 'it is a directory'],
  ] as const)(
    'refuses %s as %s',
    async (_name, option, file, why) => {
      const before = dataSnapshot();
      const p = previous();
      const args = option === '--out' ? ['--out', file()] : ['--out', p.out, '--summary', file()];
      const r = await run(['augment', DATA, ...FIXED, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toContain(`refusing to write ${option} `);
      expect(r.stderr).toContain(why);
      expect(dataSnapshot()).toEqual(before);
      expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    },
    120_000,
  );

  it('refuses --out and --summary that are one file through a symbolic-linked folder', async () => {
    const p = previous();
    const alias = join(tmp.dir, `alias${n++}`);
    symlinkSync(p.dir, alias);
    const before = p.snapshot();
    const r = await run(['augment', DATA, ...FIXED, '--out', p.out, '--summary', join(alias, 'enriched.tsv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--summary and --out name the same file');
    expect(p.snapshot()).toEqual(before);
  }, 120_000);

  it('a 240-byte --out name works (temporary names stay short)', async () => {
    const dir = tempDir('vi-mmrec-long-');
    try {
      const name = `${'o'.repeat(236)}.tsv`;
      const r = await run(['augment', DATA, ...FIXED, '--out', join(dir.dir, name), '-q']);
      expect(r.code).toBe(0);
      expect(dir.files()).toEqual([name]);
    } finally {
      dir.cleanup();
    }
  }, 120_000);

  it('a feature file that is a symbolic link to /dev/zero or to a named pipe is an error, not an endless read', async () => {
    for (const target of ['/dev/zero', 'fifo']) {
      const dir = join(tmp.dir, `link${n++}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'd.inter'), 'userID\titemID\tx_label\n0\t0\t0\n1\t1\t0\n');
      const to = target === 'fifo' ? join(tmp.dir, `fifo${n++}`) : target;
      if (target === 'fifo') expect(spawnSync('mkfifo', [to]).status).toBe(0);
      symlinkSync(to, join(dir, 'img_feat.npy'));
      const r = await run(['augment', dir, ...FIXED, '--out', join(tmp.dir, `o${n++}.tsv`)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/img_feat\.npy: is not a regular file/);
    }
  }, 120_000);

  it('an empty training split warns', async () => {
    const dir = join(tmp.dir, `empty${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'd.inter'), 'userID\titemID\tx_label\n0\t0\t1\n1\t1\t2\n');
    writeFileSync(join(dir, 'img_knn.tsv'), 'itemID\tneighborID\trank\tcosine\n0\t1\t0\t0.5\n1\t0\t0\t0.5\n');
    const r = await run(['augment', dir, ...FIXED, '--out', join(tmp.dir, `o${n++}.tsv`)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: the training split is empty');
  }, 120_000);
});

describe('memory bounded by data: sizes read from input are checked before allocating', () => {
  const LIMIT_KIB = 500 * MIB;
  /** A 300-row .inter (+ the dataset's features) with one id replaced. */
  function withId(column: 'user' | 'item', id: number, modality: 'dense' | 'knn'): string {
    const dir = join(tmp.dir, `ids${n++}`);
    mkdirSync(dir);
    const rows = ['userID\titemID\tx_label'];
    for (let r = 0; r < 299; r++) rows.push(`${r % 50}\t${r % 40}\t0`);
    rows.push(column === 'user' ? `${id}\t3\t0` : `7\t${id}\t0`);
    writeFileSync(join(dir, 'd.inter'), `${rows.join('\n')}\n`);
    if (modality === 'dense') writeFileSync(join(dir, 'img_feat.npy'), readFileSync(join(DATA, 'img_feat.npy')));
    else
      writeFileSync(
        join(dir, 'img_knn.tsv'),
        `itemID\tneighborID\trank\tcosine\n${Array.from({ length: 40 }, (_, i) => `${i}\t${(i + 1) % 40}\t0\t0.5`).join('\n')}\n`,
      );
    return dir;
  }

  it.each([
    ['user', 1e8, 'dense', /d\.inter:301: userID 100000000 is too large for a file of 300 interactions/],
    ['user', 2e9, 'knn', /d\.inter:301: userID 2000000000 is too large for a file of 300 interactions/],
    ['item', 2e9, 'knn', /d\.inter:301: itemID 2000000000 is too large for a dataset of 300 interactions, 40 neighbour-list entries/],
    ['item', 2e9, 'dense', /d\.inter:301: itemID 2000000000 is too large for a dataset of 300 interactions, 40 feature rows/],
  ] as const)(
    '%s id %d with %s features: one-line error, peak RSS < 500 MiB',
    async (column, id, modality, message) => {
      const r = await run(['augment', withId(column, id, modality), ...FIXED, '--out', join(tmp.dir, `o${n++}.tsv`)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.maxRssKib).toBeDefined();
      expect(r.maxRssKib!).toBeLessThan(LIMIT_KIB);
    },
    120_000,
  );

  it('a neighbour list naming item 2·10⁹ is an error without memory growing with the id', async () => {
    const dir = withId('user', 3, 'knn');
    writeFileSync(join(dir, 'img_knn.tsv'), 'itemID\tneighborID\trank\tcosine\n0\t1\t0\t0.5\n1\t2000000000\t0\t0.5\n');
    const r = await run(['augment', dir, ...FIXED, '--out', join(tmp.dir, `o${n++}.tsv`)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/img_knn\.tsv:3: neighborID 2000000000 is not an item of the dataset/);
    expect(r.maxRssKib!).toBeLessThan(LIMIT_KIB);
  }, 120_000);

  it.each([10_000_000, 1_000_000_000])(
    '--k %d on 40 items is capped at 39 with a note',
    async (k) => {
      const out = join(tmp.dir, `o${n++}.tsv`);
      const r = await run([
        'augment',
        DATA,
        '--strategy',
        'synergistic',
        '--k',
        String(k),
        '--lambda',
        '0.1',
        '--backend',
        'cpu',
        '--out',
        out,
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`warning: k = ${k} is more than the 39 other items of 40; using k = 39.`);
      expect(r.stdout).toContain('k 39');
      expect(r.maxRssKib!).toBeLessThan(LIMIT_KIB);
    },
    120_000,
  );

  it('eval --seeds 1e9 is a usage error, not an out-of-memory crash', async () => {
    ensureEvalBuilt();
    const r = await run(['eval', DATA, '--seeds', '1000000000']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('vi-mmrec eval: --seeds must be at most 1000, got 1000000000.');
    expect(r.maxRssKib!).toBeLessThan(LIMIT_KIB);
  }, 300_000);
});

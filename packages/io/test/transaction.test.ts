// Output transactions: all outputs replaced together or none; no temporary file on any path;
// short temporary names whatever the output's name. Failures are injected through the
// transaction's file-system seam (a full disk, a failing rename), as root ignores chmod.
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isViMmrecError } from '@vi-mmrec/core';
import { checkOutputFile, createOutputTransaction, isDatasetFileName, removeTemporaryFiles, writeTextAtomic } from '../src/index.js';
import { rejection, tempDir } from './helpers.js';

const tmp = tempDir('vi-mmrec-tx-');
afterAll(() => tmp.cleanup());

let n = 0;
/** A fresh folder holding `files`. */
function folder(files: Record<string, string> = {}): { dir: string; read: () => Record<string, string> } {
  const dir = join(tmp.dir, `case${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const read = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const f of tempDirFiles(dir)) out[f] = readFileSync(join(dir, f), 'utf8');
    return out;
  };
  return { dir, read };
}
const tempDirFiles = (dir: string): string[] => readdirSync(dir).sort();

const ENOSPC = (): never => {
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
};

describe('nothing lost: all outputs or none', () => {
  it('commits two outputs together', async () => {
    const f = folder({ 'a.tsv': 'old a', 'b.json': 'old b' });
    const tx = createOutputTransaction();
    await tx.stage(join(f.dir, 'a.tsv'), async (w) => w('new a'));
    await tx.stage(join(f.dir, 'b.json'), async (w) => w(new TextEncoder().encode('new b')));
    expect(f.read()['a.tsv']).toBe('old a');
    expect(tx.commit()).toEqual([join(f.dir, 'a.tsv'), join(f.dir, 'b.json')]);
    expect(f.read()).toEqual({ 'a.tsv': 'new a', 'b.json': 'new b' });
  });

  it('a full disk while staging the second output leaves both previous files byte-identical', async () => {
    const f = folder({ 'a.tsv': 'old a', 'b.json': 'old b' });
    let writes = 0;
    const tx = createOutputTransaction({ fs: { writeSync: (fd, data) => (++writes === 2 ? ENOSPC() : writeSync(fd, data)) } });
    await tx.stage(join(f.dir, 'a.tsv'), async (w) => w('new a'));
    const e = await rejection(async () => tx.stage(join(f.dir, 'b.json'), async (w) => w('new b')));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message).toContain('b.json');
    expect(e.message).toContain('no space left on device');
    tx.rollback();
    expect(f.read()).toEqual({ 'a.tsv': 'old a', 'b.json': 'old b' });
  });

  it('a failing rename of the second output restores the first from its backup', async () => {
    const f = folder({ 'a.tsv': 'old a', 'b.json': 'old b' });
    const tx = createOutputTransaction({
      fs: {
        renameSync: (from, to) => {
          if (to.endsWith('b.json')) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
          renameSync(from, to);
        },
      },
    });
    await tx.stage(join(f.dir, 'a.tsv'), async (w) => w('new a'));
    await tx.stage(join(f.dir, 'b.json'), async (w) => w('new b'));
    expect(() => tx.commit()).toThrow(/b\.json/);
    tx.rollback();
    expect(f.read()).toEqual({ 'a.tsv': 'old a', 'b.json': 'old b' });
  });

  it('a failing rename removes a first output that did not exist before', async () => {
    const f = folder({ 'b.json': 'old b' });
    const tx = createOutputTransaction({
      fs: {
        renameSync: (from, to) => {
          if (to.endsWith('b.json')) throw Object.assign(new Error('EIO'), { code: 'EIO' });
          renameSync(from, to);
        },
      },
    });
    await tx.stage(join(f.dir, 'a.tsv'), async (w) => w('new a'));
    await tx.stage(join(f.dir, 'b.json'), async (w) => w('new b'));
    expect(() => tx.commit()).toThrow();
    expect(f.read()).toEqual({ 'b.json': 'old b' });
  });

  it('an abort while staging stops at the next chunk and leaves no temporary file', async () => {
    const f = folder({ 'a.tsv': 'old a' });
    const ac = new AbortController();
    const tx = createOutputTransaction({ signal: ac.signal });
    const e = await rejection(async () =>
      tx.stage(join(f.dir, 'a.tsv'), async (w) => {
        await w('chunk 1');
        ac.abort('SIGINT');
        await w('chunk 2');
        throw new Error('not reached');
      }),
    );
    expect(isViMmrecError(e, 'ABORTED')).toBe(true);
    tx.rollback();
    expect(f.read()).toEqual({ 'a.tsv': 'old a' });
  });

  it('removeTemporaryFiles (what a second Ctrl-C runs) removes staged temporary files', async () => {
    const f = folder({ 'a.tsv': 'old a' });
    const tx = createOutputTransaction();
    await tx.stage(join(f.dir, 'a.tsv'), async (w) => w('new a'));
    expect(tempDirFiles(f.dir)).toHaveLength(2);
    removeTemporaryFiles();
    expect(f.read()).toEqual({ 'a.tsv': 'old a' });
  });

  it('property: any failing write leaves every previous file byte-identical and no temporary file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 8 }),
        async (contents, failAt) => {
          const old = Object.fromEntries(contents.map((_, i) => [`f${i}.txt`, `old ${i}`]));
          const f = folder(old);
          let writes = 0;
          const tx = createOutputTransaction({ fs: { writeSync: (fd, data) => (writes++ === failAt ? ENOSPC() : writeSync(fd, data)) } });
          let failed = false;
          try {
            for (const [i, text] of contents.entries()) await tx.stage(join(f.dir, `f${i}.txt`), async (w) => w(`${text}!`));
            tx.commit();
          } catch {
            failed = true;
          } finally {
            tx.rollback();
          }
          expect(f.read()).toEqual(failed ? old : Object.fromEntries(contents.map((t, i) => [`f${i}.txt`, `${t}!`])));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps the permissions of the replaced file', async () => {
    const f = folder({ 'a.tsv': 'old' });
    chmodSync(join(f.dir, 'a.tsv'), 0o640);
    await writeTextAtomic(join(f.dir, 'a.tsv'), 'new');
    expect(statSync(join(f.dir, 'a.tsv')).mode & 0o777).toBe(0o640);
  });
});

describe('file-system limits', () => {
  it('a 250-byte output name works: the temporary name stays short', async () => {
    const f = folder();
    const name = `${'x'.repeat(246)}.tsv`;
    await writeTextAtomic(join(f.dir, name), 'ok');
    expect(f.read()).toEqual({ [name]: 'ok' });
  });
});

describe('clear error: outputs that must not be written', () => {
  it('refuses directories, devices, pipes and symbolic links', async () => {
    const f = folder({ 'real.tsv': 'x' });
    mkdirSync(join(f.dir, 'sub'));
    // Node has no mkfifo; the coreutils command makes the named pipe.
    expect(spawnSync('mkfifo', [join(f.dir, 'pipe')]).status).toBe(0);
    symlinkSync(join(f.dir, 'real.tsv'), join(f.dir, 'link.tsv'));
    for (const [path, what] of [
      [join(f.dir, 'sub'), 'a directory'],
      ['/dev/null', 'a device'],
      [join(f.dir, 'pipe'), 'a named pipe'],
      [join(f.dir, 'link.tsv'), 'a symbolic link'],
    ] as const) {
      const e = await rejection(async () => checkOutputFile(path, { option: '--out' }));
      expect(isViMmrecError(e, 'INVALID_ARGUMENT')).toBe(true);
      expect(e.message).toContain(`--out ${path}: it is ${what}`);
    }
    expect(readFileSync('/dev/null', 'utf8')).toBe('');
  });

  it("refuses a dataset's input, also through a hard link, and a new input name in the dataset folder", async () => {
    const data = folder({ 'd.inter': 'userID\titemID\tx_label\n', 'img_feat.npy': 'x', 'txt_knn.tsv': 'y' });
    const elsewhere = folder();
    linkSync(join(data.dir, 'img_feat.npy'), join(elsewhere.dir, 'out.tsv'));
    for (const [file, why] of [
      [join(data.dir, 'd.inter'), "it is the dataset's input"],
      [join(data.dir, 'txt_knn.tsv'), "it is the dataset's input"],
      [join(elsewhere.dir, 'out.tsv'), "it is the dataset's input"],
      [join(data.dir, 'new_feat.npy'), 'would read it as an input'],
    ] as const) {
      const e = await rejection(async () => checkOutputFile(file, { option: '--out', datasetDir: data.dir }));
      expect(e.message).toContain(why);
    }
    await expect(checkOutputFile(join(data.dir, 'enriched.tsv'), { option: '--out', datasetDir: data.dir })).resolves.toBeUndefined();
    expect(tempDirFiles(data.dir)).toEqual(['d.inter', 'img_feat.npy', 'txt_knn.tsv']);
  });

  it('refuses a folder that cannot be written, before any work', async () => {
    const f = folder({ file: 'x' });
    const e = await rejection(async () => checkOutputFile(join(f.dir, 'file', 'out.tsv')));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message).toContain('out.tsv');
  });

  it('isDatasetFileName follows the reader', () => {
    expect(['a.inter', 'img_feat.npy', 'text_knn.tsv', 'text_knn10.tsv'].every(isDatasetFileName)).toBe(true);
    expect(['a.tsv', 'summary.json', 'feat.npy'].some(isDatasetFileName)).toBe(false);
  });
});

// `vi-mmrec report a.json b.json … --out report.html`.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportCommand } from '../src/index.js';
import { fixtureResult } from './report-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vi-mmrec-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function memory(): { io: { stdout: PassThrough; stderr: PassThrough }; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  stdout.on('data', (b: Buffer) => o.push(b));
  stderr.on('data', (b: Buffer) => e.push(b));
  return { io: { stdout, stderr }, out: () => Buffer.concat(o).toString(), err: () => Buffer.concat(e).toString() };
}

async function save(name: string, value: unknown): Promise<string> {
  const f = join(dir, name);
  await writeFile(f, typeof value === 'string' ? value : JSON.stringify(value));
  return f;
}

describe('reportCommand', () => {
  it('merges several results into one report, written atomically', async () => {
    const a = await save('bpr.json', fixtureResult({ model: 'bpr' }));
    const b = await save('lightgcn.json', fixtureResult({ model: 'lightgcn', seeds: 1 }));
    const out = join(dir, 'report.html');
    const m = memory();
    expect(await reportCommand([a, b, '--out', out], m.io)).toBe(0);
    expect(m.err()).toBe('');
    const html = await readFile(out, 'utf8');
    expect(html.match(/<section /g)).toHaveLength(2);
    expect(html).toContain('data-chart="overview"');
    expect(html).toContain(`vi-mmrec report ${a} ${b} --out ${out}`);
    expect(html).toContain('bpr.json');
    expect((await readdir(dir)).sort()).toEqual(['bpr.json', 'lightgcn.json', 'report.html']);
  });

  it('writes to stdout with --out -', async () => {
    const a = await save('a.json', fixtureResult());
    const m = memory();
    expect(await reportCommand([a, '-o', '-'], m.io)).toBe(0);
    expect(m.out()).toMatch(/^<!doctype html>/);
  });

  it.each([
    ['missing.json', null, /^vi-mmrec report: cannot read .*missing\.json: no such file\.\n$/],
    [
      'broken.json',
      '{"settings": ',
      /^vi-mmrec report: .*broken\.json is not JSON \(.*\): pass files written by 'vi-mmrec eval --json'\.\n$/,
    ],
    ['other.json', { hello: 1 }, /^vi-mmrec report: .*other\.json is not a 'vi-mmrec eval --json' result: "settings" is missing\.\n$/],
    [
      'partial.json',
      { complete: false, variants: [], runs: [] },
      /^vi-mmrec report: .*partial\.json is not a 'vi-mmrec eval --json' result: it is the \.partial file of an unfinished run/,
    ],
    [
      'runs.json',
      { ...fixtureResult(), runs: [{ variant: 'baseline' }] },
      /"runs\[0\]" lacks variant, seed, test, valid, bestEpoch or epochs\.\n$/,
    ],
  ])('refuses %s with one line naming the file, exit 2, nothing written', async (name, content, message) => {
    const f = content === null ? join(dir, name) : await save(name, content);
    const good = await save('good.json', fixtureResult());
    const out = join(dir, 'report.html');
    const m = memory();
    expect(await reportCommand([good, f, '--out', out], m.io)).toBe(2);
    expect(m.err()).toMatch(message);
    expect(m.err().split('\n')).toHaveLength(2);
    expect(await readdir(dir)).not.toContain('report.html');
  });

  it('never overwrites an input', async () => {
    const a = await save('a.json', fixtureResult());
    const before = await readFile(a, 'utf8');
    const m = memory();
    expect(await reportCommand([a, '--out', a], m.io)).toBe(2);
    expect(m.err()).toMatch(/refusing to write --out .*a\.json: it is the input/);
    expect(await readFile(a, 'utf8')).toBe(before);
  });

  it('explains usage errors in one line', async () => {
    for (const [argv, msg] of [
      [[], /name at least one result file/],
      [['a.json'], /--out <report\.html> is required/],
      [['a.json', '--bogus'], /Unknown option '--bogus'/],
    ] as const) {
      const m = memory();
      expect(await reportCommand([...argv], m.io)).toBe(2);
      expect(m.err()).toMatch(msg);
    }
    const m = memory();
    expect(await reportCommand(['--help'], m.io)).toBe(0);
    expect(m.out()).toMatch(/^Usage: vi-mmrec report <result\.json>/);
  });
});

// The commands shown in docs/guide/sharded-runs.md (Kubernetes and Slurm) and docs/cli.md's
// sharded example parse: each is extracted, its shell variables given the values the
// scheduler would, and handed to the command's own argument parser.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAugmentArgs } from '../src/augment-command.js';
import { parseMergeArgs } from '../src/merge-command.js';
import { parseNeighboursArgs } from '../src/neighbours-command.js';
import { REPO_ROOT } from './subprocess.js';

/** `vi-mmrec …` command lines of a markdown file: continuation lines and YAML `>-` blocks joined. */
function commands(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8')
    .replace(/\\\n\s*/g, ' ') // shell line continuations
    .replace(/>-\n((?:\s{14,}\S.*\n)+)/g, (_, block: string) => `${block.replace(/\s*\n\s*/g, ' ')}\n`); // YAML folded scalars
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /(?:npx --yes @vi-mmrec\/cli|^\s*(?:for .*?; do )?vi-mmrec|(?:^|;|do)\s+vi-mmrec)\s+(neighbours|augment|merge)\b(.*)/.exec(
      line,
    );
    if (m !== null) out.push(`${m[1]}${m[2]!.replace(/; (done|;).*$/, '').replace(/\s*;;\s*$/, '')}`);
  }
  return out;
}

/** Splits a command line the way the shell would here (quotes removed, variables substituted). */
function argv(line: string): string[] {
  const vars: Record<string, string> = {
    JOB_COMPLETION_INDEX: '3',
    SLURM_ARRAY_TASK_ID: '5',
    N: '8',
    i: '1',
    l: '0.1',
    SHARED: '/shared',
    DATA: '/shared/data/shop',
    STAGE: 'augment',
  };
  const expanded = line.replace(/\$\{?(\w+)\}?/g, (_, v: string) => vars[v] ?? `$${v}`);
  return (expanded.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((t) => t.replace(/^["']|["']$/g, ''));
}

describe('the commands in the sharded-run docs parse', () => {
  const lines = [...commands('docs/guide/sharded-runs.md'), ...commands('docs/cli.md').filter((l) => /--shard|^merge/.test(l))];

  it('finds the neighbours, augment and merge commands of every example', () => {
    const kinds = lines.map((l) => l.split(' ')[0]);
    expect(kinds.filter((k) => k === 'neighbours').length).toBeGreaterThanOrEqual(4);
    expect(kinds.filter((k) => k === 'augment').length).toBeGreaterThanOrEqual(4);
    expect(kinds.filter((k) => k === 'merge').length).toBeGreaterThanOrEqual(3);
  });

  it.each(lines.map((l) => [l]))('%s', (line) => {
    const [command, ...args] = argv(line);
    expect(args.join(' ')).not.toMatch(/\$/); // every variable was substituted
    const parsed =
      command === 'neighbours' ? parseNeighboursArgs(args) : command === 'augment' ? parseAugmentArgs(args) : parseMergeArgs(args);
    expect(parsed).not.toBe('help');
    if (/--shard/.test(line) && command !== 'merge') {
      const config =
        command === 'neighbours'
          ? (parsed as ReturnType<typeof parseNeighboursArgs> & object)
          : (parsed as { config: { shard?: unknown } }).config;
      expect((config as { shard?: { index: number; count: number } }).shard?.count).toBeGreaterThan(1);
    }
  });
});

import { createReadStream } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkOutputFile, createOutputTransaction } from '@vi-mmrec/io';
import { parseCommand } from './args.js';
import { EXIT, type CliIo } from './cli-io.js';
import { CliError, UsageError } from './errors.js';
import { MERGE_HELP } from './help.js';
import { type PartManifest, parsePartComment } from './shard.js';

const HEADER = 'userID\titemID\tweight';

/** A part file, checked: its manifest and where its rows start. */
interface Part {
  readonly file: string;
  readonly manifest: PartManifest;
  /** Byte offset of the first row (after the manifest and header lines). */
  readonly body: number;
}

/** Reads a part's manifest and header lines (the rows are copied later, as bytes). */
async function readPart(file: string): Promise<Part> {
  const handle = await open(file, 'r').catch((e: unknown) => {
    throw new CliError(
      `cannot read part ${file}: ${(e as { code?: string }).code === 'ENOENT' ? 'no such file' : String((e as Error).message)}.`,
    );
  });
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const buf = Buffer.alloc(1 << 16);
      const { bytesRead } = await handle.read(buf, 0, buf.length, size);
      chunks.push(buf.subarray(0, bytesRead));
      size += bytesRead;
      const text = Buffer.concat(chunks);
      const first = text.indexOf(10);
      const second = first < 0 ? -1 : text.indexOf(10, first + 1);
      if (second >= 0 || bytesRead === 0 || size > 1 << 22) {
        if (second < 0) throw new CliError(`${file}: truncated part (no manifest and header lines); rerun its 'vi-mmrec augment --shard'.`);
        const manifest = parsePartComment(file, text.subarray(0, first).toString('utf8'));
        if (text.subarray(first + 1, second).toString('utf8') !== HEADER) {
          throw new CliError(`${file}:2: expected the header '${HEADER.replaceAll('\t', ' ')}' after the manifest line.`);
        }
        return { file, manifest, body: second + 1 };
      }
    }
  } finally {
    await handle.close();
  }
}

/** Checks that the parts are all shards of one run, each once; returns them in shard order. */
export function orderParts(parts: readonly Part[]): Part[] {
  const first = parts[0]!;
  const count = first.manifest.shard[1];
  const settings = JSON.stringify(first.manifest.settings);
  const byIndex = new Map<number, Part>();
  for (const p of parts) {
    if (JSON.stringify(p.manifest.settings) !== settings || p.manifest.shard[1] !== count) {
      throw new UsageError(
        `${p.file} and ${first.file} come from different runs (${p.manifest.shard[1] !== count ? `${p.manifest.shard[1]} vs ${count} shards` : 'settings or dataset differ'}); merge the parts of one 'vi-mmrec augment --shard i/n' setting.`,
        'merge',
      );
    }
    const i = p.manifest.shard[0];
    const twin = byIndex.get(i);
    if (twin !== undefined) throw new UsageError(`${p.file} and ${twin.file} are both shard ${i}/${count}; give each part once`, 'merge');
    byIndex.set(i, p);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new UsageError(
      `missing part${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} of ${count}; run 'vi-mmrec augment … --shard ${missing[0]}/${count}' and pass its --out too.`,
      'merge',
    );
  }
  const ordered = Array.from({ length: count }, (_, i) => byIndex.get(i)!);
  let next = 0;
  for (const p of ordered) {
    if (p.manifest.users[0] !== next)
      throw new UsageError(`${p.file}: starts at user ${p.manifest.users[0]}, expected ${next}; the parts do not fit together`, 'merge');
    next = p.manifest.users[1];
  }
  return ordered;
}

/** Where the file really is (symbolic-linked folders resolved). */
async function realFile(f: string): Promise<string> {
  return join(await realpath(dirname(f)).catch(() => dirname(f)), basename(f));
}

/** `merge`'s arguments, validated. */
export interface MergeConfig {
  readonly parts: readonly string[];
  readonly out: string;
}

/** Parses and validates `merge`'s arguments; throws `UsageError`. */
export function parseMergeArgs(argv: readonly string[]): MergeConfig | 'help' {
  const cmd = 'merge';
  const { values, positionals } = parseCommand(cmd, argv, {
    out: { type: 'string', short: 'o' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  if (positionals.length === 0) throw new UsageError('missing <part…> (the --out files of vi-mmrec augment --shard i/n)', cmd);
  const out = values.out;
  if (out === undefined || out === '') throw new UsageError('missing required option --out', cmd);
  if (/\.parquet$/i.test(out)) throw new UsageError('merge writes TSV (the parts are TSV); name --out <file>.tsv', cmd);
  return { parts: positionals, out };
}

/**
 * `vi-mmrec merge <part…> --out FILE`: joins the parts of a sharded `augment` run into the
 * file a single run writes (byte for byte), after checking that they are every shard of one
 * run. The output is written atomically.
 */
export async function mergeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const cmd = 'merge';
  const parsed = parseMergeArgs(argv);
  if (parsed === 'help') {
    io.stdout.write(MERGE_HELP);
    return EXIT.ok;
  }
  const { parts: positionals, out: outArg } = parsed;
  const out = resolve(outArg);
  const outDir = await stat(dirname(out)).catch(() => undefined);
  if (outDir === undefined || !outDir.isDirectory())
    throw new CliError(`cannot write ${out}: folder ${dirname(out)} does not exist; create it first.`);
  await checkOutputFile(out, { option: '--out' });
  const realOut = await realFile(out);
  const outStat = await stat(out).catch(() => undefined);
  for (const p of positionals) {
    const ps = await stat(p).catch(() => undefined);
    if (
      (await realFile(resolve(p))) === realOut ||
      (ps !== undefined && outStat !== undefined && ps.dev === outStat.dev && ps.ino === outStat.ino)
    ) {
      throw new UsageError(`--out ${outArg} is one of the parts; write the merged file elsewhere`, cmd);
    }
  }
  const parts = orderParts(await Promise.all(positionals.map(async (p) => readPart(resolve(p)))));
  const { signal } = io;
  const tx = createOutputTransaction(signal === undefined ? {} : { signal });
  try {
    await tx.stage(out, async (write) => {
      await write(`${HEADER}\n`);
      for (const p of parts) {
        for await (const chunk of createReadStream(p.file, { start: p.body, highWaterMark: 1 << 20 })) await write(chunk as Buffer);
      }
    });
    tx.commit();
  } finally {
    tx.rollback();
  }
  const last = parts.at(-1)!.manifest;
  io.stdout.write(`merged       ${parts.length} parts, users 0…${last.users[1] - 1}\noutput       ${out}\n`);
  return EXIT.ok;
}

import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isViMmrecError } from '@vi-mmrec/core';
import { checkOutputFile, writeTextAtomic } from '@vi-mmrec/io';
import type { EvalJson } from './command.js';
import { commandLine, renderReport } from './report.js';

/** Streams `reportCommand` writes to. */
export interface ReportIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** `vi-mmrec report --help`. */
export const REPORT_HELP = `Usage: vi-mmrec report <result.json> [<result.json> …] --out <report.html>

Merges results saved by 'vi-mmrec eval --json' (one per model, dataset or setting) into one
self-contained HTML report: per result the settings, versions, date and command line, test
metrics with a paired t-test across seeds, relative gains with 95 % intervals, k/λ curves,
the gain by user activity, every run with its best and last epoch, and warnings for runs that
did not converge; with two or more results, an overview of their Recall@20 gains.

Options:
  -o, --out <file>   the HTML file to write (atomically; '-' for stdout); never one of the inputs
  -h, --help         show this help

Exit codes: 0 written, 1 the report could not be written, 2 usage error or an input that is
not readable or not a 'vi-mmrec eval --json' result (one line naming the file).
`;

class InputError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `v` is not an {@link EvalJson} (the first problem, as a JSON path), or undefined. */
export function evalJsonProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'the top level is not an object';
  if (v.complete === false)
    return 'it is the .partial file of an unfinished run (finish it with vi-mmrec eval … --resume, then report the --json file)';
  const s = v.settings;
  if (!isObj(s)) return '"settings" is missing';
  for (const k of ['dataset', 'model'] as const) if (typeof s[k] !== 'string') return `"settings.${k}" is not a string`;
  for (const k of ['seeds', 'maxEpochs', 'patience'] as const) if (typeof s[k] !== 'number') return `"settings.${k}" is not a number`;
  if (!Array.isArray(s.topK)) return '"settings.topK" is not a list';
  if (!isObj(v.summary) || !isObj(v.summary.baseline)) return '"summary.baseline" is missing';
  if (!Array.isArray(v.variants)) return '"variants" is not a list';
  for (const [i, x] of v.variants.entries()) {
    if (!isObj(x) || typeof x.label !== 'string' || !isObj(x.summary) || !('settings' in x))
      return `"variants[${i}]" has no label, settings and summary`;
  }
  if (!Array.isArray(v.runs)) return '"runs" is not a list';
  for (const [i, x] of v.runs.entries()) {
    if (
      !isObj(x) ||
      typeof x.variant !== 'string' ||
      typeof x.seed !== 'number' ||
      !isObj(x.test) ||
      !isObj(x.valid) ||
      typeof x.bestEpoch !== 'number' ||
      typeof x.epochs !== 'number'
    ) {
      return `"runs[${i}]" lacks variant, seed, test, valid, bestEpoch or epochs`;
    }
  }
  if (!Array.isArray(v.activityGroups)) return '"activityGroups" is not a list';
  return undefined;
}

async function readResult(file: string): Promise<EvalJson> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (code ?? (e as Error).message);
    throw new InputError(`cannot read ${file}: ${why}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file} is not JSON (${(e as Error).message.split('\n')[0]}): pass files written by 'vi-mmrec eval --json'.`);
  }
  const problem = evalJsonProblem(value);
  if (problem !== undefined) throw new InputError(`${file} is not a 'vi-mmrec eval --json' result: ${problem}.`);
  return value as EvalJson;
}

/**
 * `vi-mmrec report a.json b.json … --out report.html`: merges saved `eval` results into one
 * HTML report ({@link renderReport}), written atomically. Returns the exit code: 0 written,
 * 1 write failure, 2 usage error or unreadable / wrong-schema input (one line naming the file).
 */
export async function reportCommand(argv: string[], io: ReportIo): Promise<number> {
  const fail = (msg: string, code: number): number => {
    io.stderr.write(`vi-mmrec report: ${msg}\n`);
    return code;
  };
  let files: string[];
  let out: string | undefined;
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    });
    if (parsed.values.help === true) {
      io.stdout.write(REPORT_HELP);
      return 0;
    }
    files = parsed.positionals;
    out = parsed.values.out;
  } catch (e) {
    return fail(`${(e as Error).message.split('\n')[0]} (see vi-mmrec report --help)`, 2);
  }
  if (files.length === 0) return fail('name at least one result file written by vi-mmrec eval --json (see vi-mmrec report --help).', 2);
  if (out === undefined || out === '') return fail('--out <report.html> is required (or --out - for stdout).', 2);
  const results: EvalJson[] = [];
  try {
    for (const f of files) results.push(await readResult(f));
  } catch (e) {
    if (e instanceof InputError) return fail(e.message, 2);
    throw e;
  }
  const html = renderReport(results, { command: commandLine('report', argv), sources: files });
  if (out === '-') {
    io.stdout.write(html);
    return 0;
  }
  try {
    const target = await stat(out).catch(() => undefined);
    if (target !== undefined) {
      for (const f of files) {
        const input = await stat(f);
        if (input.dev === target.dev && input.ino === target.ino)
          return fail(`refusing to write --out ${out}: it is the input ${f}; write the report elsewhere.`, 2);
      }
    }
    await checkOutputFile(out, { option: '--out' });
    await writeTextAtomic(out, html);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return fail(msg, isViMmrecError(e, 'INVALID_ARGUMENT') ? 2 : 1);
  }
  return 0;
}

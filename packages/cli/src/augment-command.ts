import { resolve } from 'node:path';
import type { OAvgMode, Strategy } from '@vi-mmrec/core';
import { choiceOption, intOption, numberOption, parseCommand } from './args.js';
import { EXIT, type CliIo } from './cli-io.js';
import { UsageError } from './errors.js';
import { AUGMENT_HELP } from './help.js';
import { Progress } from './progress.js';
import { formatReport } from './report.js';
import { type AugmentConfig, runAugment } from './run-augment.js';

const STRATEGIES: readonly Strategy[] = ['overlay', 'synergistic'];
const OAVG: readonly OAvgMode[] = ['modality-mean', 'density'];

/** Parses and validates `augment`'s arguments; throws `UsageError`. */
export function parseAugmentArgs(argv: readonly string[]): { config: AugmentConfig; quiet: boolean } | 'help' {
  const cmd = 'augment';
  const { values, positionals } = parseCommand(cmd, argv, {
    strategy: { type: 'string' },
    k: { type: 'string' },
    lambda: { type: 'string' },
    'o-avg': { type: 'string' },
    backend: { type: 'string' },
    modalities: { type: 'string' },
    out: { type: 'string', short: 'o' },
    summary: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  if (positionals.length === 0) throw new UsageError('missing <datasetDir> (a folder with one .inter file and modality files)', cmd);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (augment takes one <datasetDir>)`, cmd);
  const missing = (['strategy', 'k', 'lambda', 'out'] as const).filter((o) => values[o] === undefined).map((o) => `--${o}`);
  if (missing.length > 0) throw new UsageError(`missing required option${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, cmd);
  const out = values.out!;
  const summary = values.summary;
  if (out === '') throw new UsageError('--out needs a file name', cmd);
  if (summary !== undefined && resolve(summary) === resolve(out)) throw new UsageError('--summary and --out name the same file', cmd);
  let modalities: string[] | undefined;
  if (values.modalities !== undefined) {
    modalities = values.modalities.split(',').map((s) => s.trim());
    if (modalities.some((s) => s === '')) throw new UsageError(`--modalities must be a comma-separated list of names, got '${values.modalities}'`, cmd);
  }
  const backend = values.backend ?? 'auto';
  if (backend === '') throw new UsageError('--backend needs a name (auto, cpu, ...)', cmd);
  const config: AugmentConfig = {
    datasetDir: positionals[0]!,
    strategy: choiceOption(cmd, '--strategy', values.strategy!, STRATEGIES),
    k: intOption(cmd, '--k', values.k!, 1),
    lambda: numberOption(cmd, '--lambda', values.lambda!, 0),
    oAvg: choiceOption(cmd, '--o-avg', values['o-avg'] ?? 'modality-mean', OAVG),
    backend,
    out,
    ...(summary === undefined ? {} : { summary }),
    ...(modalities === undefined ? {} : { modalities }),
  };
  return { config, quiet: values.quiet === true };
}

/** `vi-mmrec augment …`. */
export async function augmentCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseAugmentArgs(argv);
  if (parsed === 'help') {
    io.stdout.write(AUGMENT_HELP);
    return EXIT.ok;
  }
  const { config, quiet } = parsed;
  const progress = new Progress(io.stderr, quiet);
  try {
    const outcome = await runAugment(config, progress, io.signal);
    io.stdout.write(formatReport(outcome));
    return EXIT.ok;
  } finally {
    progress.clearLine();
  }
}

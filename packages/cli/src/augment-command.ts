import { resolve } from 'node:path';
import type { OAvgMode, Strategy } from '@vi-mmrec/core';
import { backendOption, choiceOption, intOption, modalitiesOption, numberOption, parseCommand } from './args.js';
import { type AutoAugmentConfig, EVAL_MODULE, type NegativesPolicy, PROXY_MODELS, runAutoAugment } from './auto-augment.js';
import { EXIT, type CliIo, signalExitCode } from './cli-io.js';
import { UsageError } from './errors.js';
import { AUGMENT_HELP } from './help.js';
import { Progress } from './progress.js';
import { formatAutoReport, formatReport } from './report.js';
import { type AugmentConfig, type OutputFormat, runAugment, STDOUT } from './run-augment.js';
import { parseShard } from './shard.js';

const STRATEGIES: readonly (Strategy | 'auto')[] = ['overlay', 'synergistic', 'auto'];
const OAVG: readonly OAvgMode[] = ['modality-mean', 'density'];
const AUTO_ONLY = ['negatives', 'auto-epochs', 'proxy-model', 'seed', 'min-gain'] as const;
const NEGATIVES: readonly NegativesPolicy[] = ['non-real', 'non-interacted'];
const FORMATS: readonly OutputFormat[] = ['tsv', 'sidecar', 'labelled'];

/** What {@link parseAugmentArgs} returns: fixed settings, or `--strategy auto`. */
export type ParsedAugment =
  | { readonly mode: 'fixed'; readonly config: AugmentConfig; readonly quiet: boolean }
  | { readonly mode: 'auto'; readonly config: AutoAugmentConfig; readonly quiet: boolean };

/** Parses a comma-separated list of distinct values; `parse` checks one value (throws when bad). */
function listOption(command: string, option: string, raw: string, what: string, parse: (item: string) => number): number[] {
  let values: number[];
  try {
    values = raw.split(',').map((s) => {
      if (s.trim() === '') throw new UsageError('empty item', command);
      return parse(s);
    });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError(`${option} must be a comma-separated list of ${what}, got '${raw}'`, command);
  }
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) throw new UsageError(`${option} lists ${twice} twice, in '${raw}'; give each value once`, command);
  return values;
}

/** Parses `--negatives`: distinct policies, comma-separated. */
function policyList(command: string, raw: string): NegativesPolicy[] {
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => !(NEGATIVES as readonly string[]).includes(s))) {
    throw new UsageError(`--negatives must be a comma-separated list of ${NEGATIVES.join(' and ')}, got '${raw}'`, command);
  }
  if (new Set(items).size < items.length) throw new UsageError(`--negatives lists a policy twice, in '${raw}'; give each once`, command);
  return items as NegativesPolicy[];
}

/** Parses and validates `augment`'s arguments; throws `UsageError`. */
export function parseAugmentArgs(argv: readonly string[]): ParsedAugment | 'help' {
  const cmd = 'augment';
  const { values, positionals } = parseCommand(cmd, argv, {
    strategy: { type: 'string' },
    k: { type: 'string' },
    lambda: { type: 'string' },
    'o-avg': { type: 'string' },
    backend: { type: 'string' },
    exact: { type: 'boolean' },
    modalities: { type: 'string' },
    out: { type: 'string', short: 'o' },
    format: { type: 'string' },
    summary: { type: 'string' },
    negatives: { type: 'string' },
    'auto-epochs': { type: 'string' },
    'proxy-model': { type: 'string' },
    seed: { type: 'string' },
    'min-gain': { type: 'string' },
    neighbours: { type: 'string' },
    shard: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  if (positionals.length === 0) throw new UsageError('missing <datasetDir> (a folder with one .inter file and modality files)', cmd);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (augment takes one <datasetDir>)`, cmd);
  const auto = values.strategy === 'auto';
  const required = auto ? (['out'] as const) : (['strategy', 'k', 'lambda', 'out'] as const);
  const missing = required.filter((o) => values[o] === undefined).map((o) => `--${o}`);
  if (missing.length > 0) throw new UsageError(`missing required option${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, cmd);
  if (!auto) {
    const autoOnly = AUTO_ONLY.filter((o) => values[o] !== undefined).map((o) => `--${o}`);
    if (autoOnly.length > 0)
      throw new UsageError(`${autoOnly.join(', ')} only appl${autoOnly.length > 1 ? 'y' : 'ies'} with --strategy auto`, cmd);
  }
  if (auto) {
    const fixedOnly = (['neighbours', 'shard'] as const).filter((o) => values[o] !== undefined).map((o) => `--${o}`);
    if (fixedOnly.length > 0)
      throw new UsageError(
        `${fixedOnly.join(', ')} only appl${fixedOnly.length > 1 ? 'y' : 'ies'} with fixed settings, not --strategy auto`,
        cmd,
      );
  }
  const shard = values.shard === undefined ? undefined : parseShard(cmd, values.shard);
  const neighbours = values.neighbours;
  if (neighbours === '') throw new UsageError('--neighbours needs the folder that vi-mmrec neighbours --out-dir wrote', cmd);
  if (neighbours !== undefined && (values.backend !== undefined || values.exact === true)) {
    throw new UsageError('--backend and --exact do not apply with --neighbours (the tables are already computed)', cmd);
  }
  const out = values.out!;
  const summary = values.summary;
  if (out === '') throw new UsageError('--out needs a file name (or - for standard output)', cmd);
  if (summary === STDOUT) throw new UsageError('--summary needs a file name (only --out takes -, for standard output)', cmd);
  const format = choiceOption(cmd, '--format', values.format ?? 'tsv', FORMATS);
  if (format !== 'tsv' && /\.parquet$/i.test(out)) {
    throw new UsageError(
      `--format ${format} writes TSV, but --out ${out} ends in .parquet; name the output .tsv, or use --format tsv for Parquet`,
      cmd,
    );
  }
  if (format !== 'tsv' && out === STDOUT)
    throw new UsageError(`--format ${format} writes a file; --out - streams the tsv format only`, cmd);
  if (shard !== undefined && (/\.parquet$/i.test(out) || out === STDOUT || format !== 'tsv')) {
    throw new UsageError(
      `--shard writes a TSV part file for 'vi-mmrec merge' (--format tsv, not Parquet or -); name --out <part>.tsv`,
      cmd,
    );
  }
  if (summary !== undefined && resolve(summary) === resolve(out)) throw new UsageError('--summary and --out name the same file', cmd);
  const modalities = modalitiesOption(cmd, values.modalities);
  const backend = backendOption(cmd, values.backend);
  const exact = values.exact === true;
  const common = (): Omit<AugmentConfig, 'strategy' | 'k' | 'lambda'> => ({
    datasetDir: positionals[0]!,
    oAvg: choiceOption(cmd, '--o-avg', values['o-avg'] ?? 'modality-mean', OAVG),
    backend,
    ...(exact ? { exact } : {}),
    out,
    ...(format === 'tsv' ? {} : { format }),
    ...(summary === undefined ? {} : { summary }),
    ...(modalities === undefined ? {} : { modalities }),
    ...(neighbours === undefined ? {} : { neighbours }),
  });
  const quiet = values.quiet === true;
  if (auto) {
    const { k, lambda, negatives } = values;
    const epochs = values['auto-epochs'];
    const minGain = values['min-gain'];
    const model = values['proxy-model'];
    const config: AutoAugmentConfig = {
      ...common(),
      ...(k === undefined ? {} : { ks: listOption(cmd, '--k', k, 'integers ≥ 1', (s) => intOption(cmd, '--k', s, 1)) }),
      ...(lambda === undefined
        ? {}
        : { lambdas: listOption(cmd, '--lambda', lambda, 'numbers ≥ 0', (s) => numberOption(cmd, '--lambda', s, 0)) }),
      ...(negatives === undefined ? {} : { negatives: policyList(cmd, negatives) }),
      ...(epochs === undefined ? {} : { epochs: intOption(cmd, '--auto-epochs', epochs, 1) }),
      ...(model === undefined ? {} : { model: choiceOption(cmd, '--proxy-model', model, PROXY_MODELS) }),
      seed: values.seed === undefined ? 0 : intOption(cmd, '--seed', values.seed, 0),
      ...(minGain === undefined ? {} : { minGain: numberOption(cmd, '--min-gain', minGain, -1) }),
    };
    return { mode: 'auto', config, quiet };
  }
  // Validated in this order (strategy, k, lambda, then the rest), as before --strategy auto existed.
  const strategy = choiceOption(cmd, '--strategy', values.strategy!, STRATEGIES) as Strategy; // not 'auto' here
  const k = intOption(cmd, '--k', values.k!, 1);
  const lambda = numberOption(cmd, '--lambda', values.lambda!, 0);
  const config: AugmentConfig = { ...common(), strategy, k, lambda, ...(shard === undefined ? {} : { shard }) };
  return { mode: 'fixed', config, quiet };
}

/**
 * `vi-mmrec augment …`. `evalModule` names the package that provides `chooseSettings` for
 * `--strategy auto` (replaced in tests).
 */
export async function augmentCommand(argv: readonly string[], io: CliIo, evalModule: string = EVAL_MODULE): Promise<number> {
  const parsed = parseAugmentArgs(argv);
  if (parsed === 'help') {
    io.stdout.write(AUGMENT_HELP);
    return EXIT.ok;
  }
  const progress = new Progress(io.stderr, parsed.quiet);
  // `--out -`: the matrix is standard output, so the report goes to stderr.
  const toStdout = parsed.config.out === STDOUT;
  const report = toStdout ? io.stderr : io.stdout;
  try {
    if (parsed.mode === 'auto') {
      const outcome = await runAutoAugment({ ...parsed.config, stdout: io.stdout }, progress, io.signal, evalModule);
      report.write(formatAutoReport(outcome));
    } else {
      const outcome = await runAugment({ ...parsed.config, stdout: io.stdout }, progress, io.signal);
      report.write(formatReport(outcome));
    }
    if (io.signal?.aborted === true) {
      // The signal came after the outputs were committed: nothing is left to stop.
      const reason: unknown = io.signal.reason;
      io.stderr.write(
        `vi-mmrec: ${typeof reason === 'string' ? reason : 'abort'} arrived after the outputs were written; they are complete\n`,
      );
      return signalExitCode(reason);
    }
    return EXIT.ok;
  } finally {
    progress.clearLine();
  }
}

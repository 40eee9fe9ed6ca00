import { mkdtemp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { parseCommand } from './args.js';
import { EXIT, type CliIo } from './cli-io.js';
import { UsageError } from './errors.js';
import { DEMO_HELP } from './help.js';
import { Progress } from './progress.js';
import { formatReport } from './report.js';
import { runAugment } from './run-augment.js';

/** The demo dataset: small enough to run in seconds on the CPU backend. */
export const DEMO_DATASET = {
  name: 'demo',
  numUsers: 2000,
  numItems: 1500,
  interactions: 24_000,
  modalities: [
    { name: 'image', dim: 64 },
    { name: 'text', dim: 32 },
  ],
  seed: 42,
} as const;

/** `vi-mmrec demo`: synthesize, write to disk, augment through the `augment` code path, report. */
export async function demoCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('demo', argv, {
    'out-dir': { type: 'string' },
    backend: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    io.stdout.write(DEMO_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'demo');
  const progress = new Progress(io.stderr, values.quiet === true);
  try {
    let dir: string;
    if (values['out-dir'] === undefined) {
      dir = await mkdtemp(join(tmpdir(), 'vi-mmrec-demo-'));
    } else {
      if (values['out-dir'] === '') throw new UsageError('--out-dir needs a folder name', 'demo');
      dir = resolve(values['out-dir']);
      await mkdir(dir, { recursive: true });
    }
    const datasetDir = join(dir, DEMO_DATASET.name);
    progress.info(
      `generating a synthetic dataset (${DEMO_DATASET.numUsers} users, ${DEMO_DATASET.numItems} items, image 64-d + text 32-d, seed ${DEMO_DATASET.seed}) in ${datasetDir}`,
    );
    await writeDataset(datasetDir, synthesizeDataset(DEMO_DATASET));
    const config = {
      datasetDir,
      strategy: 'overlay',
      k: 10,
      lambda: 0.1,
      oAvg: 'modality-mean',
      backend: values.backend ?? 'auto',
      out: join(dir, 'enriched.tsv'),
      summary: join(dir, 'summary.json'),
    } as const;
    const outcome = await runAugment(config, progress, io.signal);
    io.stdout.write(formatReport(outcome));
    io.stdout.write(
      `\nSame run by hand:\n  vi-mmrec augment ${datasetDir} --strategy overlay --k 10 --lambda 0.1 --out ${config.out} --summary ${config.summary}\n` +
        `Try the fused group:\n  vi-mmrec augment ${datasetDir} --strategy synergistic --k 10 --lambda 0.1 --out ${join(dir, 'synergistic.tsv')}\n`,
    );
    return EXIT.ok;
  } finally {
    progress.clearLine();
  }
}

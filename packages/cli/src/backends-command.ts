import { APPROXIMATE_CROSSOVER_ITEMS, listBackends, resolveBackend } from '@vi-mmrec/core';
import { loadInstalledBackends } from '@vi-mmrec/core/node';
import { parseCommand } from './args.js';
import { backendSearch } from './backends.js';
import { EXIT, type CliIo } from './cli-io.js';
import { UsageError } from './errors.js';
import { BACKENDS_HELP } from './help.js';
import { Progress } from './progress.js';

/**
 * `vi-mmrec backends`: the backend packages installed in the working directory's project (and
 * beside the CLI), each with its package, version, priority and whether it initialises here;
 * then the packages named like backends that could not be used, and auto's pick.
 */
export async function backendsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('backends', argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help === true) {
    io.stdout.write(BACKENDS_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'backends');
  const { loaded, failed } = await loadInstalledBackends(backendSearch(new Progress(io.stderr, true)));
  const rows: string[][] = [['NAME', 'PRIORITY', 'PACKAGE', 'STATUS']];
  let auto: string | undefined;
  let approximate: string | undefined;
  for (const b of listBackends()) {
    let status: string;
    try {
      await resolveBackend([b.name]);
      status = 'available';
      if (b.exact === false) approximate ??= b.priority >= 0 ? b.name : undefined;
      else if (auto === undefined && b.priority >= 0) auto = b.name;
    } catch (e) {
      const cause = (e as { errors?: ReadonlyArray<{ error: unknown }> }).errors?.[0]?.error;
      status = `unavailable: ${cause instanceof Error ? cause.message : e instanceof Error ? e.message : String(e)}`;
    }
    const pkg = loaded.find((l) => l.factory.name === b.name);
    rows.push([b.name, String(b.priority), pkg === undefined ? '-' : `${pkg.name}@${pkg.version ?? '-'}`, status]);
    if (b.description !== undefined) rows.push(['', '', '', b.description]);
  }
  const width = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => `${r[0]!.padEnd(width[0]!)}  ${r[1]!.padStart(width[1]!)}  ${r[2]!.padEnd(width[2]!)}  ${r[3]}`.trimEnd());
  // A package named like a backend that fails to load or exports no valid factory.
  for (const f of failed) lines.push(`not a usable backend: ${f.package.name}@${f.package.version ?? '-'}: ${f.error.message}`);
  const crossover = APPROXIMATE_CROSSOVER_ITEMS.toLocaleString('en-US');
  const above = approximate === undefined ? '' : ` up to ${crossover} items; ${approximate} (approximate) above, unless --exact`;
  io.stdout.write(`${lines.join('\n')}\n--backend auto uses: ${auto ?? 'none'}${auto === undefined ? '' : above}\n`);
  return auto === undefined ? EXIT.failure : EXIT.ok;
}

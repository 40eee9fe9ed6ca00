import { APPROXIMATE_CROSSOVER_ITEMS, listBackends, resolveBackend } from '@vi-mmrec/core';
import { parseCommand } from './args.js';
import { registerInstalledBackends } from './backends.js';
import { EXIT, type CliIo } from './cli-io.js';
import { UsageError } from './errors.js';
import { BACKENDS_HELP } from './help.js';
import { Progress } from './progress.js';

/** `vi-mmrec backends`: the registered backends, whether each initialises, and auto's pick. */
export async function backendsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('backends', argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help === true) {
    io.stdout.write(BACKENDS_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'backends');
  await registerInstalledBackends(new Progress(io.stderr, false));
  const list = listBackends();
  const lines: string[] = [];
  let auto: string | undefined;
  let approximate: string | undefined;
  for (const b of list) {
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
    lines.push(`${b.name.padEnd(26)} priority ${String(b.priority).padStart(4)}   ${status}${b.description === undefined ? '' : `\n${''.padEnd(26)} ${b.description}`}`);
  }
  const crossover = APPROXIMATE_CROSSOVER_ITEMS.toLocaleString('en-US');
  const above = approximate === undefined ? '' : ` up to ${crossover} items; ${approximate} (approximate) above, unless --exact`;
  io.stdout.write(`${lines.join('\n')}\n--backend auto uses: ${auto ?? 'none'}${auto === undefined ? '' : above}\n`);
  return auto === undefined ? EXIT.failure : EXIT.ok;
}

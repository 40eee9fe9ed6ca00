import { augmentCommand } from './augment-command.js';
import { backendsCommand } from './backends-command.js';
import { EXIT, type CliIo } from './cli-io.js';
import { demoCommand } from './demo-command.js';
import { UsageError, reportError } from './errors.js';
import { runEval, runReport } from './eval-command.js';
import { MAIN_HELP } from './help.js';
import { mergeCommand } from './merge-command.js';
import { neighboursCommand } from './neighbours-command.js';
import { toolVersion } from './version.js';

/**
 * Runs the `vi-mmrec` command line with `argv` (without `node` and the script) and returns
 * the exit code: 0 success, 1 failure, 2 usage error, 130 interrupted. Never throws: every
 * error is printed as one line `vi-mmrec: <message>` on `io.stderr`.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case undefined:
        io.stderr.write(MAIN_HELP);
        return EXIT.usage;
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(MAIN_HELP);
        return EXIT.ok;
      case '-v':
      case '--version':
        io.stdout.write(`${toolVersion()}\n`);
        return EXIT.ok;
      case 'augment':
        return await augmentCommand(rest, io);
      case 'neighbours':
        return await neighboursCommand(rest, io);
      case 'merge':
        return await mergeCommand(rest, io);
      case 'demo':
        return await demoCommand(rest, io);
      case 'eval':
        return await runEval(rest, io);
      case 'report':
        return await runReport(rest, io);
      case 'backends':
        return await backendsCommand(rest, io);
      default:
        throw new UsageError(command.startsWith('-') ? `unknown option '${command}'` : `unknown command '${command}'`);
    }
  } catch (e) {
    return reportError(e, io);
  }
}

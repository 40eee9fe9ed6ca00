import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed values: strings for string options, booleans for flags. */
export type ParsedValues<O extends Options> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };

/** `parseArgs` (strict, positionals allowed) whose errors become one-line `UsageError`s. */
export function parseCommand<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
): { values: ParsedValues<O>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return { values, positionals };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const code = (e as { code?: unknown }).code;
    const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
    const name = /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(' ')[0] ?? quoted;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option '${name}' for '${command}'`, command);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/does not take an argument/.test(message)) throw new UsageError(`option ${name} does not take a value`, command);
      if (/ambiguous/.test(message)) {
        throw new UsageError(`option ${name} needs a value (write ${name}=<value> for a value starting with '-')`, command);
      }
      throw new UsageError(`option ${name} needs a value`, command);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument '${name}'`, command);
    throw new UsageError(message.split('\n')[0]!, command);
  }
}

/** Parses an integer option (digits only) ≥ `min`. */
export function intOption(command: string, option: string, raw: string, min: number): number {
  const v = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min) throw new UsageError(`${option} must be an integer ≥ ${min}, got '${raw}'`, command);
  return v;
}

/** Parses a finite decimal number option ≥ `min`. */
export function numberOption(command: string, option: string, raw: string, min: number): number {
  const v = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(v) || v < min) throw new UsageError(`${option} must be a number ≥ ${min}, got '${raw}'`, command);
  return v;
}

/** Checks an enumerated option. */
export function choiceOption<T extends string>(command: string, option: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`${option} must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, got '${raw}'`, command);
  }
  return raw as T;
}

/** `--modalities a,b`: the names, or undefined when not given; one line on an empty name. */
export function modalitiesOption(command: string, raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((s) => s.trim());
  if (names.some((s) => s === '')) throw new UsageError(`--modalities must be a comma-separated list of names, got '${raw}'`, command);
  return names;
}

/** `--backend <x>` (default `auto`): a registry name, a package name or a path. */
export function backendOption(command: string, raw: string | undefined): string {
  const backend = raw ?? 'auto';
  if (backend === '') throw new UsageError('--backend needs a backend name, package or path (auto, cpu, ...)', command);
  return backend;
}

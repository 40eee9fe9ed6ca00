import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version of `@vi-mmrec/cli` (from its package.json). */
export function toolVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  }
  return cached;
}

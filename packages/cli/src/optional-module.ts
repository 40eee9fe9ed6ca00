/**
 * How to install an optional `@vi-mmrec/…` package: from the npm registry, or before the first
 * release from tarballs made in a clone (docs/guide/installing.md).
 */
export function installHint(specifier: string): string {
  return `npm install ${specifier}; before its first release on the npm registry, 'npm run pack -- ${specifier.replace(/^@vi-mmrec\//, '')}' in a clone of vi-mmrec, see docs/guide/installing.md`;
}

/**
 * Imports an optional package at run time. Resolves `undefined` when it is not installed or
 * not built (the two ways Node reports a package it cannot load); other errors propagate.
 */
export async function importOptional(specifier: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return undefined;
    throw e;
  }
}

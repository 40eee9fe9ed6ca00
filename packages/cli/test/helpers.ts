import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../src/index.js';

/** An in-memory CliIo capturing stdout and stderr. */
export function memoryIo(options: { isTTY?: boolean; env?: Record<string, string>; signal?: AbortSignal } = {}): CliIo & {
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: options.isTTY ?? false, columns: 120 },
    env: options.env ?? {},
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    out: () => out,
    err: () => err,
  };
}

export function tempDir(prefix = 'vi-mmrec-cli-'): { dir: string; files: (sub?: string) => string[]; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    files: (sub = '') => readdirSync(join(dir, sub)).sort(),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The lines of a text, without the empty last one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
}

import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, linkSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AbortedError, InvalidArgumentError } from '@vi-mmrec/core';
import { fsErrorCode, wrapFsError } from './fs-utils.js';

/** Sink of a staged output: appends text (UTF-8) or bytes to its temporary file. */
export type WriteChunk = (chunk: string | Uint8Array) => Promise<void>;

/**
 * The file-system calls a transaction makes, replaceable in tests to inject a full disk or a
 * failing rename. @internal
 */
export interface TransactionFs {
  readonly writeSync: (fd: number, data: Uint8Array) => number;
  readonly renameSync: (from: string, to: string) => void;
}

/** Options of {@link createOutputTransaction}. */
export interface OutputTransactionOptions {
  /** Staging stops with `AbortedError` at the next chunk once this signal aborts. */
  readonly signal?: AbortSignal;
  /** @internal Test seam: replaces the file-system calls that can fail on a full disk. */
  readonly fs?: Partial<TransactionFs>;
}

/**
 * A set of output files replaced together or not at all. Each {@link stage} writes one file's
 * new content into a short temporary file (`.vi-mmrec-<pid>-<random>.tmp`) in the target's
 * folder and fsyncs it; {@link commit} renames every temporary file over its target in one
 * synchronous step (no signal handler or callback can run in the middle), restoring the
 * targets already replaced if a later rename fails; {@link rollback} removes the temporary
 * files. Until `commit` returns, every previous file is byte-identical.
 */
export interface OutputTransaction {
  /**
   * Writes the new content of `file` (produced by `produce`) into a temporary file next to it.
   * On failure the temporary file is removed and the error (an `InvalidDataError` naming
   * `file` for file-system errors, or `AbortedError`) is rethrown; the transaction can then
   * only be rolled back.
   */
  stage(file: string, produce: (write: WriteChunk) => Promise<void>): Promise<void>;
  /** Replaces every staged target; all or nothing. Returns the targets, in staging order. */
  commit(): string[];
  /** Removes every temporary file; a no-op after a successful {@link commit}. */
  rollback(): void;
}

/** Temporary and backup files that exist right now, removed on any exit of the process. */
const live = new Set<string>();
let exitHookInstalled = false;

function track(path: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // `process.exit()` (e.g. a second Ctrl-C) runs 'exit' listeners synchronously.
    process.on('exit', removeTemporaryFiles);
  }
  live.add(path);
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
  live.delete(path);
}

/**
 * Removes, synchronously, every temporary file that a transaction of this process has not
 * committed or rolled back yet. Safe in a signal handler just before `process.exit`; also run
 * on the process's `exit` event; the `vi-mmrec` command calls it on a second Ctrl-C.
 */
export function removeTemporaryFiles(): void {
  for (const path of [...live]) unlinkQuiet(path);
}

/** A short name in `dir`, whatever the length of the target's name (file-system limits). */
function scratchName(dir: string, ext: 'tmp' | 'bak'): string {
  return join(dir, `.vi-mmrec-${process.pid}-${randomBytes(6).toString('hex')}.${ext}`);
}

function isRegularFile(path: string): { mode: number } | undefined {
  try {
    const s = lstatSync(path);
    return s.isFile() ? { mode: s.mode & 0o7777 } : undefined;
  } catch (e) {
    if (fsErrorCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** Starts a transaction over output files. See {@link OutputTransaction}. */
export function createOutputTransaction(options: OutputTransactionOptions = {}): OutputTransaction {
  const { signal } = options;
  const fs: TransactionFs = {
    writeSync: options.fs?.writeSync ?? ((fd, data) => writeSync(fd, data)),
    renameSync: options.fs?.renameSync ?? renameSync,
  };
  const staged: Array<{ tmp: string; target: string }> = [];
  let state: 'open' | 'failed' | 'committed' | 'rolled-back' = 'open';
  const encoder = new TextEncoder();

  async function stage(file: string, produce: (write: WriteChunk) => Promise<void>): Promise<void> {
    if (state !== 'open') throw new Error(`output transaction is ${state}; cannot stage ${file}`);
    if (staged.some((s) => s.target === file)) throw new InvalidArgumentError('file', `${file} is staged twice in one transaction.`);
    const tmp = scratchName(dirname(file), 'tmp');
    let fd: number;
    try {
      // Synchronous open + track: the file exists on disk only once it is tracked.
      fd = openSync(tmp, 'wx', 0o666);
      track(tmp);
    } catch (e) {
      state = 'failed';
      throw wrapFsError(e, file, 'write');
    }
    try {
      // Keep the permissions of the file being replaced.
      const previous = isRegularFile(file);
      if (previous !== undefined) fchmodSync(fd, previous.mode);
      await produce(async (chunk) => {
        if (signal?.aborted === true) throw new AbortedError();
        const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
        for (let off = 0; off < bytes.length;) off += fs.writeSync(fd, bytes.subarray(off));
        // Let signal handlers and progress run between chunks.
        await new Promise<void>((resolve) => setImmediate(resolve));
      });
      if (signal?.aborted === true) throw new AbortedError();
      fsyncSync(fd);
      closeSync(fd);
    } catch (e) {
      state = 'failed';
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      unlinkQuiet(tmp);
      throw wrapFsError(e, file, 'write');
    }
    staged.push({ tmp, target: file });
  }

  function commit(): string[] {
    if (state !== 'open') throw new Error(`output transaction is ${state}; cannot commit`);
    // Backups (hard links to the previous targets) let a failed later rename undo earlier ones.
    const backups: Array<string | undefined> = [];
    const done: number[] = [];
    try {
      if (staged.length > 1) {
        for (const { target } of staged) {
          if (isRegularFile(target) === undefined) {
            backups.push(undefined);
            continue;
          }
          const bak = scratchName(dirname(target), 'bak');
          linkSync(target, bak);
          track(bak);
          backups.push(bak);
        }
      }
      staged.forEach(({ tmp, target }, i) => {
        fs.renameSync(tmp, target);
        live.delete(tmp);
        done.push(i);
      });
    } catch (e) {
      for (const i of done.reverse()) {
        const { target } = staged[i]!;
        const bak = backups[i];
        try {
          if (bak === undefined) unlinkSync(target);
          else {
            renameSync(bak, target);
            live.delete(bak);
          }
        } catch {
          // best effort: the backup stays tracked and is removed below
        }
      }
      for (const { tmp } of staged) unlinkQuiet(tmp);
      for (const bak of backups) if (bak !== undefined) unlinkQuiet(bak);
      state = 'failed';
      const failed = staged[Math.min(done.length, staged.length - 1)]!.target;
      throw wrapFsError(e, failed, 'write');
    }
    for (const bak of backups) if (bak !== undefined) unlinkQuiet(bak);
    for (const dir of new Set(staged.map((s) => dirname(s.target)))) syncDir(dir);
    state = 'committed';
    return staged.map((s) => s.target);
  }

  function rollback(): void {
    if (state === 'committed' || state === 'rolled-back') return;
    for (const { tmp } of staged) unlinkQuiet(tmp);
    staged.length = 0;
    state = 'rolled-back';
  }

  return { stage, commit, rollback };
}

/** Makes the renames durable; best effort (some file systems cannot fsync a folder). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported here
  }
}

/**
 * Checks, before any work, that a new file can be created in `file`'s folder: creates and
 * removes a temporary file there. Throws an `InvalidDataError` naming `file` otherwise (missing
 * or read-only folder, full disk). The `vi-mmrec` command calls it before any work.
 */
export function probeWritable(file: string): void {
  const tmp = scratchName(dirname(file), 'tmp');
  try {
    closeSync(openSync(tmp, 'wx', 0o666));
  } catch (e) {
    throw wrapFsError(e, file, 'write');
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
  }
}

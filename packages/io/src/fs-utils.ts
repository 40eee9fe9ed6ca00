import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { InvalidDataError } from '@vi-mmrec/core';
import { type OutputTransaction, type WriteChunk, createOutputTransaction } from './transaction.js';

export type { WriteChunk } from './transaction.js';

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory, expected a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  EEXIST: 'already exists',
};

/** The `code` of a Node.js system error (`'ENOENT'`, …), if `e` is one. @internal */
export function fsErrorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * Turns a Node.js file-system error into an `InvalidDataError` naming the path and saying what
 * went wrong; other errors are returned unchanged. @internal
 */
export function wrapFsError(e: unknown, path: string, action: 'read' | 'write'): unknown {
  const code = fsErrorCode(e);
  if (code === undefined) return e;
  const reason = FS_REASONS[code] ?? (e as Error).message;
  const hint = action === 'read' ? 'check the path' : 'check that the folder exists and is writable';
  return new InvalidDataError(path, `cannot ${action} (${reason}, ${code}); ${hint}.`, { cause: e });
}

export type { FileHandle };

/**
 * Opens `file` for reading. Only regular files are read: a device (`/dev/zero`), a named pipe
 * or a socket, directly or through a symbolic link, would read forever or block, so it is an
 * `InvalidDataError`. The file is opened non-blocking, so a pipe with no writer cannot hang the
 * open itself. Errors name the file. @internal
 */
export async function openRegular(file: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw wrapFsError(e, file, 'read');
  }
  try {
    if (!(await fh.stat()).isFile()) {
      throw new InvalidDataError(
        file,
        'is not a regular file (a device, pipe or socket, maybe behind a symbolic link); point it at a regular file.',
      );
    }
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw wrapFsError(e, file, 'read');
  }
  return fh;
}

/**
 * Opens `file` for reading (regular files only, non-blocking, see {@link openRegular}), runs
 * `use` on it and closes it; file-system errors (opening or reading) become
 * `InvalidDataError`s naming the file. @internal
 */
export async function withFile<T>(file: string, use: (fh: FileHandle) => Promise<T>): Promise<T> {
  const fh = await openRegular(file);
  try {
    return await use(fh);
  } catch (e) {
    throw wrapFsError(e, file, 'read');
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Size of the chunks {@link readChunks} reads. */
const READ_CHUNK = 1 << 20;

/**
 * The bytes of `file` as consecutive chunks of up to `chunkSize` bytes, read one at a time
 * (memory holds one chunk, not the file); only regular files are read (see
 * {@link openRegular}); errors name the file. @internal
 */
export async function* readChunks(file: string, chunkSize = READ_CHUNK): AsyncGenerator<Uint8Array> {
  const fh = await openRegular(file);
  try {
    for (;;) {
      const chunk = new Uint8Array(chunkSize);
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(chunk, 0, chunkSize, null));
      } catch (e) {
        throw wrapFsError(e, file, 'read');
      }
      if (bytesRead === 0) return;
      yield bytesRead === chunkSize ? chunk : chunk.subarray(0, bytesRead);
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Writes `file` atomically: `produce` streams its content into a temporary file in the same
 * folder, which is flushed and renamed over `file` only when `produce` resolves. On any error
 * the temporary file is removed and `file` is left untouched. With `transaction`, the file is
 * only staged there and replaced when the transaction commits. @internal
 */
export async function atomicWrite(
  file: string,
  produce: (write: WriteChunk) => Promise<void>,
  transaction?: OutputTransaction,
): Promise<void> {
  if (transaction !== undefined) return transaction.stage(file, produce);
  const tx = createOutputTransaction();
  try {
    await tx.stage(file, produce);
    tx.commit();
  } finally {
    tx.rollback();
  }
}

/**
 * Collects text into ~1 MiB chunks before handing them to an atomic-write sink, so that large
 * outputs are streamed without one giant string. @internal
 */
export class ChunkedWriter {
  private buffer = '';
  constructor(
    private readonly write: WriteChunk,
    private readonly chunkChars = 1 << 20,
  ) {}
  /** Appends text; flushes when the buffer is full. */
  async push(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length >= this.chunkChars) await this.flush();
  }
  /** True when the buffer is full and the caller should `await flush()`. */
  get full(): boolean {
    return this.buffer.length >= this.chunkChars;
  }
  /** Appends text without flushing (call {@link flush} when {@link full}). */
  append(text: string): void {
    this.buffer += text;
  }
  /** Writes what is buffered. */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    await this.write(chunk);
  }
}

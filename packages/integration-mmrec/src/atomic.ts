import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Appends text to the file being written. @internal */
export type AppendText = (text: string) => Promise<void>;

const CHUNK_CHARS = 1 << 20;

/**
 * Writes `file` atomically: `produce` appends text, buffered in ~1 MiB chunks, to a temporary
 * file in the same folder (`.<name>.<pid>.<random>.tmp`), which is fsynced and renamed over
 * `file` only when `produce` resolves. On any error the temporary file is removed and `file`
 * keeps its previous content (or stays absent). @internal
 */
export async function atomicWriteText(file: string, produce: (append: AppendText) => Promise<void>): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o666);
  let buffer = '';
  try {
    await produce(async (text) => {
      buffer += text;
      if (buffer.length >= CHUNK_CHARS) {
        const chunk = buffer;
        buffer = '';
        await fh.write(chunk, null, 'utf8');
      }
    });
    if (buffer.length > 0) await fh.write(buffer, null, 'utf8');
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

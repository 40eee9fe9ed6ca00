import { type OutputTransaction, createOutputTransaction } from '@vi-mmrec/io';

/** Appends text to the file being written. @internal */
export type AppendText = (text: string) => Promise<void>;

const CHUNK_CHARS = 1 << 20;

/**
 * Writes `file` atomically through `@vi-mmrec/io`'s output transaction: `produce` appends text,
 * buffered in ~1 MiB chunks, to a short-named temporary file in the same folder
 * (`.vi-mmrec-<pid>-<random>.tmp`, whatever the length of `file`'s name), which is fsynced and
 * renamed over `file` only when `produce` resolves. On any error the temporary file is removed
 * and `file` keeps its previous content (or stays absent). With `transaction`, the file is only
 * staged in it: the caller's commit replaces it together with the caller's other outputs.
 * @internal
 */
export async function atomicWriteText(
  file: string,
  produce: (append: AppendText) => Promise<void>,
  transaction?: OutputTransaction,
): Promise<void> {
  const tx = transaction ?? createOutputTransaction();
  const stage = tx.stage(file, async (write) => {
    let buffer = '';
    await produce(async (text) => {
      buffer += text;
      if (buffer.length >= CHUNK_CHARS) {
        const chunk = buffer;
        buffer = '';
        await write(chunk);
      }
    });
    if (buffer.length > 0) await write(buffer);
  });
  if (transaction !== undefined) return stage;
  try {
    await stage;
    tx.commit();
  } finally {
    tx.rollback();
  }
}

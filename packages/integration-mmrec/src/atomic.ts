import { createOutputTransaction } from '@vi-mmrec/io';

/** Appends text to the file being written. @internal */
export type AppendText = (text: string) => Promise<void>;

const CHUNK_CHARS = 1 << 20;

/**
 * Writes `file` atomically through `@vi-mmrec/io`'s output transaction: `produce` appends text,
 * buffered in ~1 MiB chunks, to a short-named temporary file in the same folder
 * (`.vi-mmrec-<pid>-<random>.tmp`, whatever the length of `file`'s name), which is fsynced and
 * renamed over `file` only when `produce` resolves. On any error the temporary file is removed
 * and `file` keeps its previous content (or stays absent). @internal
 */
export async function atomicWriteText(file: string, produce: (append: AppendText) => Promise<void>): Promise<void> {
  const tx = createOutputTransaction();
  try {
    await tx.stage(file, async (write) => {
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
    tx.commit();
  } finally {
    tx.rollback();
  }
}

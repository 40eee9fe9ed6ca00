// Helpers of the benchmarks that write large synthetic logs (rbar-memory.mjs, e2e-scale.mjs).
import { closeSync, openSync, writeSync } from 'node:fs';

/** A deterministic integer source (xorshift32, independent of Math.random): `rand(n)` ∈ [0, n). */
export function xorshift(seed = 12345) {
  let s = seed;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

/** Writes `header` then `line(r)` for r = 0 … rows - 1, in 4 MiB writes. */
export function writeLines(path, header, rows, line) {
  const fd = openSync(path, 'w');
  let text = header;
  for (let r = 0; r < rows; r++) {
    text += line(r);
    if (text.length > 1 << 22) {
      writeSync(fd, text);
      text = '';
    }
  }
  writeSync(fd, text);
  closeSync(fd);
}

/**
 * A training log: users 0 … users - 1 each get at least one interaction (so `users` is the
 * user count), then random users; items uniform.
 */
export function writeTrainLog(path, { interactions, users, items }, rand = xorshift()) {
  writeLines(path, 'userID\titemID\tx_label\n', interactions, (r) => `${r < users ? r : rand(users)}\t${rand(items)}\t0\n`);
}

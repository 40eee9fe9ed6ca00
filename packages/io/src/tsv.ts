import { InvalidDataError } from '@vi-mmrec/core';

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;
/** Largest id accepted: ids are stored in Int32Array and `id + 1` must fit too. */
const MAX_ID = 2 ** 31 - 2;

/** Longest line accepted: a longer one means the file is not line-oriented text. */
const MAX_LINE_BYTES = 1 << 26;

/** Input of a scanner: the whole content, or its bytes in chunks of any size. @internal */
export type TsvInput = Uint8Array | AsyncIterable<Uint8Array>;

/**
 * A streaming byte-level scanner of tab-separated files with a header line (line 1). The
 * input arrives in chunks of any size; the scanner works on blocks of whole lines (a chunk
 * up to its last line break, with the unfinished line carried over), so memory holds one
 * chunk plus one line. Lines end in `\n` or `\r\n` (the last one may lack it); blank lines
 * are skipped (as pandas does); a UTF-8 byte-order mark is ignored. Every error names
 * `file:line` and says what to do.
 *
 * Use: `await header(…)`, then `while (await more()) while (next()) { …id(), number()… }`.
 * @internal
 */
export class TsvScanner {
  /** 1-based number of the current line (the header is line 1). */
  line = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private starts: Int32Array = new Int32Array(0);
  private ends: Int32Array = new Int32Array(0);
  private numColumns = 0;
  private readonly text = new TextDecoder('utf-8');
  private readonly chunks: AsyncIterator<Uint8Array>;
  private carry: Uint8Array[] = [];
  private carryBytes = 0;
  private first = true;
  private ended = false;

  constructor(
    input: TsvInput,
    /** File name used in messages, e.g. `'baby.inter'`. */
    readonly source: string,
  ) {
    const iterable: AsyncIterable<Uint8Array> =
      input instanceof Uint8Array
        ? (async function* one() {
            yield input;
          })()
        : input;
    this.chunks = iterable[Symbol.asyncIterator]();
  }

  /**
   * Makes sure the current block has unread bytes, loading the next block of whole lines
   * when it has not; false at the end of the input.
   */
  async more(): Promise<boolean> {
    while (this.pos >= this.buf.length) {
      if (this.ended) return false;
      const r = await this.chunks.next();
      if (r.done === true) {
        this.ended = true;
        if (this.carryBytes === 0) return false;
        this.setBlock(this.takeCarry(undefined));
        continue;
      }
      const chunk = r.value;
      const lastLf = chunk.lastIndexOf(LF);
      if (lastLf < 0) {
        this.keep(chunk);
        continue;
      }
      const block = this.takeCarry(chunk.subarray(0, lastLf + 1));
      if (lastLf + 1 < chunk.length) this.keep(chunk.slice(lastLf + 1));
      this.setBlock(block);
    }
    return true;
  }

  /** Stops reading: closes the input (e.g. the file of `readChunks`) when it ends early. */
  async close(): Promise<void> {
    this.ended = true;
    await this.chunks.return?.();
  }

  /** Adds an unfinished line's bytes to the carry (a copy, so that chunks may be reused). */
  private keep(bytes: Uint8Array): void {
    this.carry.push(bytes.slice());
    this.carryBytes += bytes.length;
    if (this.carryBytes > MAX_LINE_BYTES) {
      this.line++;
      throw this.error(`a line is longer than ${MAX_LINE_BYTES >> 20} MiB without a line break; this is not a tab-separated text file.`);
    }
  }

  /** The carried bytes followed by `tail`, as one block. */
  private takeCarry(tail: Uint8Array | undefined): Uint8Array {
    if (this.carry.length === 0) return tail ?? new Uint8Array(0);
    const parts = tail === undefined ? this.carry : [...this.carry, tail];
    const out = new Uint8Array(this.carryBytes + (tail?.length ?? 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    this.carry = [];
    this.carryBytes = 0;
    return out;
  }

  private setBlock(block: Uint8Array): void {
    this.buf = block;
    this.pos = 0;
    if (this.first) {
      this.first = false;
      if (block.length >= 3 && block[0] === 0xef && block[1] === 0xbb && block[2] === 0xbf) this.pos = 3;
    }
  }

  /** An `InvalidDataError` located at the current line. */
  error(message: string): InvalidDataError {
    return new InvalidDataError(`${this.source}:${this.line}`, message);
  }

  /**
   * Reads the header (line 1) and returns the column index of each required name. Other
   * columns are allowed and ignored; column order is free.
   */
  async header<N extends string>(required: readonly N[]): Promise<Record<N, number>> {
    const expected = required.join(' ');
    let found = false;
    while (!found && (await this.more())) found = this.readLine();
    if (!found) {
      this.line = 1;
      throw this.error(
        `the file is empty; line 1 must be a tab-separated header naming ${required.join(', ')} (e.g. "${required.join('\\t')}").`,
      );
    }
    if (this.line !== 1) {
      this.line = 1;
      throw this.error(`line 1 is blank; it must be the tab-separated header naming ${required.join(', ')}.`);
    }
    this.numColumns = this.splitFields(Number.MAX_SAFE_INTEGER);
    const names: string[] = [];
    for (let c = 0; c < this.numColumns; c++) names.push(this.fieldText(c).trim());
    const index = new Map<string, number>();
    names.forEach((n, c) => {
      if (n !== '' && index.has(n)) throw this.error(`the header names column '${n}' twice; each column must appear once.`);
      index.set(n, c);
    });
    const missing = required.filter((r) => !index.has(r));
    if (missing.length > 0) {
      const found = names.map((n) => `'${n}'`).join(', ');
      const tabHint =
        this.numColumns === 1 && /[ ,;]/.test(names[0] ?? '') ? ' Columns must be separated by tabs, not spaces or commas.' : '';
      throw this.error(
        `the header lacks column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (found ${found}); line 1 must name ${expected} (tab-separated, any order, names are case-sensitive).${tabHint}`,
      );
    }
    const out = {} as Record<N, number>;
    for (const r of required) out[r] = index.get(r)!;
    return out;
  }

  /** Advances to the next non-blank data line of the current block; false at its end (then call {@link more}). */
  next(): boolean {
    if (!this.readLine()) return false;
    const n = this.splitFields(this.numColumns);
    if (n !== this.numColumns) {
      throw this.error(`expected ${this.numColumns} tab-separated fields (as in the header), found ${n}; fix or remove this row.`);
    }
    return true;
  }

  /** Field `col` of the current line as a non-negative integer id (< 2^31 - 1). */
  id(col: number, name: string): number {
    const buf = this.buf;
    let p = this.starts[col]!;
    let end = this.ends[col]!;
    while (p < end && buf[p] === SPACE) p++;
    while (end > p && buf[end - 1] === SPACE) end--;
    let v = 0;
    let digits = 0;
    for (let q = p; q < end; q++) {
      const c = buf[q]!;
      if (c < ZERO || c > NINE) {
        digits = -1;
        break;
      }
      v = v * 10 + (c - ZERO);
      digits++;
    }
    if (digits > 0 && v <= MAX_ID) return v;
    const raw = this.fieldText(col).trim();
    if (digits > 0) throw this.error(`${name} ${raw} is too large; ids must be below ${MAX_ID + 1}.`);
    if (raw === '') throw this.error(`${name} is empty; every row needs a 0-based integer ${name}.`);
    if (buf[p] === MINUS && /^-\d+$/.test(raw)) throw this.error(`${name} ${raw} is negative; ids are 0-based non-negative integers.`);
    throw this.error(`${name} '${raw}' is not a non-negative integer; ids are 0-based integers (no decimals or names).`);
  }

  /** Field `col` of the current line as a finite number. */
  number(col: number, name: string): number {
    const raw = this.fieldText(col).trim();
    const v = raw === '' ? Number.NaN : Number(raw);
    if (Number.isFinite(v)) return v;
    if (raw === '') throw this.error(`${name} is empty; every row needs a finite number.`);
    throw this.error(`${name} '${raw}' is not a finite number; fix or remove this row.`);
  }

  /** Text of field `col` of the current line. */
  fieldText(col: number): string {
    return this.text.decode(this.buf.subarray(this.starts[col], this.ends[col]));
  }

  /** Sets `lineStart/lineEnd` to the next non-blank line of the block; false at its end. */
  private lineStart = 0;
  private lineEnd = 0;
  private readLine(): boolean {
    const buf = this.buf;
    while (this.pos < buf.length) {
      let nl = buf.indexOf(LF, this.pos);
      if (nl < 0) nl = buf.length;
      let end = nl;
      if (end > this.pos && buf[end - 1] === CR) end--;
      const start = this.pos;
      this.pos = nl + 1;
      this.line++;
      if (end > start) {
        this.lineStart = start;
        this.lineEnd = end;
        return true;
      }
    }
    return false;
  }

  /** Splits the current line at tabs, recording up to `max` fields; returns the field count. */
  private splitFields(max: number): number {
    const buf = this.buf;
    const size = Math.min(max, 1 << 16) + 1;
    if (this.starts.length < size) {
      this.starts = new Int32Array(size);
      this.ends = new Int32Array(size);
    }
    const cap = this.starts.length;
    const lineEnd = this.lineEnd;
    let n = 0;
    let s = this.lineStart;
    for (let q = s; q <= lineEnd; q++) {
      if (q === lineEnd || buf[q] === TAB) {
        if (n < cap) {
          this.starts[n] = s;
          this.ends[n] = q;
        }
        n++;
        s = q + 1;
      }
    }
    return n;
  }
}

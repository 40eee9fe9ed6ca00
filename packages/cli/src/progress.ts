import type { Logger } from '@vi-mmrec/core';
import type { OutputStream } from './cli-io.js';

function seconds(s: number): string {
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/**
 * Progress of long phases on stderr. On a terminal, one line redrawn in place with a bar,
 * percentage and ETA; otherwise plain lines at most every few seconds. `quiet` silences it
 * and the informational log lines; warnings always print.
 */
export class Progress implements Logger {
  private label: string | undefined;
  private started = 0;
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly stream: OutputStream,
    private readonly quiet: boolean,
    private readonly now: () => number = () => performance.now(),
    /** Minimum milliseconds between two reports (TTY redraws / plain lines). */
    private readonly interval = stream.isTTY === true ? 100 : 3000,
  ) {}

  /** Reports `done` of `total` units of the phase `label` (a new label starts a new phase). */
  update(label: string, done: number, total: number): void {
    if (this.quiet) return;
    const t = this.now();
    if (label !== this.label) {
      this.finish();
      this.label = label;
      this.started = t;
      this.lastDraw = -Infinity;
      if (this.stream.isTTY !== true) this.stream.write(`vi-mmrec: ${label}…\n`);
    }
    const complete = done >= total;
    if (!complete && t - this.lastDraw < this.interval) return;
    if (this.stream.isTTY !== true && (complete || t - this.started < this.interval)) return;
    this.lastDraw = t;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
    const elapsed = (t - this.started) / 1000;
    const eta = fraction > 0.01 && fraction < 1 && elapsed >= 0.5 ? `, ETA ${seconds((elapsed / fraction) * (1 - fraction))}` : '';
    if (this.stream.isTTY === true) {
      const width = 24;
      const filled = Math.round(fraction * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      const line = `${label} ${bar} ${pct} (${done}/${total})${eta}`;
      const cols = this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : 100;
      this.stream.write(`\r\x1b[K${line.slice(0, Math.max(20, cols - 1))}`);
      this.drawn = true;
    } else {
      this.stream.write(`vi-mmrec: ${label}: ${pct.trim()} (${done}/${total})${eta}\n`);
    }
  }

  /** Ends the current phase, printing how long it took. */
  finish(): void {
    if (this.label === undefined) return;
    const took = (this.now() - this.started) / 1000;
    this.clearLine();
    if (!this.quiet) this.stream.write(`vi-mmrec: ${this.label}: done in ${seconds(took)}\n`);
    this.label = undefined;
  }

  /** Informational line (silenced by `--quiet`). */
  info(message: string): void {
    if (this.quiet) return;
    this.clearLine();
    this.stream.write(`vi-mmrec: ${message}\n`);
  }

  /** Warning line (always printed). */
  warn(message: string): void {
    this.clearLine();
    this.stream.write(`vi-mmrec: warning: ${message}\n`);
  }

  /** Clears a partially drawn bar (before errors and other lines). */
  clearLine(): void {
    if (this.drawn) {
      this.stream.write('\r\x1b[K');
      this.drawn = false;
    }
  }
}

// Progress of a sweep on stderr: on a terminal one bar redrawn in place (points done, failed,
// throughput, ETA); otherwise (logs, CI, a cluster's job output) one line per finished point.

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export class Progress {
  private done = 0;
  private failed = 0;
  private readonly started = performance.now();
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly skipped: number,
    private readonly out: ProgressSink = process.stderr,
  ) {}

  /** A run finished (ok or failed) for `points` points sharing its config; label describes it for the line-per-point log. */
  tick(ok: boolean, label: string, wallMs: number, points = 1): void {
    if (ok) this.done += points;
    else this.failed += points;
    if (this.out.isTTY) {
      const now = performance.now();
      if (now - this.lastDraw > 100 || this.finished()) this.draw(), (this.lastDraw = now);
    } else {
      this.out.write(`[${this.count()}/${this.total}] ${ok ? 'done' : 'FAILED'} ${label}${ok ? ` in ${(wallMs / 1e3).toFixed(2)} s` : ''}; ${this.rates()}\n`);
    }
  }

  /** Clear the bar before another message goes to stderr. */
  clear(): void {
    if (this.out.isTTY) this.out.write('\r\x1b[K');
  }

  /** Redraw after a message. */
  redraw(): void {
    if (this.out.isTTY) this.draw();
  }

  end(): void {
    if (this.out.isTTY) this.draw(), this.out.write('\n');
  }

  private finished(): boolean {
    return this.count() >= this.total;
  }

  private count(): number {
    return this.skipped + this.done + this.failed;
  }

  private rates(): string {
    const secs = (performance.now() - this.started) / 1e3;
    const ran = this.done + this.failed;
    const rate = ran / Math.max(secs, 1e-3);
    const left = this.total - this.count();
    const eta = ran > 0 ? left / rate : NaN;
    return `${rate.toFixed(2)} points/s, ETA ${Number.isFinite(eta) ? formatSecs(eta) : '?'}`;
  }

  private draw(): void {
    const width = 24;
    const fill = Math.round((this.count() / Math.max(1, this.total)) * width);
    const bar = '#'.repeat(fill) + '-'.repeat(width - fill);
    const parts = [`[${bar}] ${this.count()}/${this.total} points`];
    if (this.skipped) parts.push(`${this.skipped} already done`);
    if (this.failed) parts.push(`${this.failed} failed`);
    parts.push(this.rates());
    let line = parts.join(', ');
    const cols = this.out.columns ?? 100;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    this.out.write(`\r\x1b[K${line}`);
  }
}

export function formatSecs(s: number): string {
  if (s < 60) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

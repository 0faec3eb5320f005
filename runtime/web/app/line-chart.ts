/** A time series on a canvas: one line, min/max labels on the value axis, the time span below. Drawn at most once per frame. */
export class LineChart {
  private points: Array<{ t: number; v: number }> = [];
  private pending = false;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly maxPoints = 2000,
  ) {}

  add(t: number, v: number): void {
    this.points.push({ t, v });
    if (this.points.length > this.maxPoints) this.points.splice(0, this.points.length - this.maxPoints);
    this.schedule();
  }

  clear(): void {
    this.points = [];
    this.schedule();
  }

  get size(): number {
    return this.points.length;
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.floor(c.clientWidth * dpr));
    const hgt = Math.max(1, Math.floor(c.clientHeight * dpr));
    if (c.width !== w || c.height !== hgt) {
      c.width = w;
      c.height = hgt;
    }
    c.dataset.points = String(this.points.length);
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const style = getComputedStyle(document.documentElement);
    const fg = style.getPropertyValue('--muted').trim() || '#888';
    const line = style.getPropertyValue('--accent').trim() || '#06c';
    ctx.clearRect(0, 0, w, hgt);
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillStyle = fg;
    if (this.points.length === 0) {
      ctx.fillText('no points yet', 8 * dpr, 16 * dpr);
      return;
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of this.points) {
      if (p.v < lo) lo = p.v;
      if (p.v > hi) hi = p.v;
    }
    if (hi === lo) {
      hi += 1;
      lo -= 1;
    }
    const t0 = this.points[0]!.t;
    const t1 = Math.max(t0 + 1, this.points.at(-1)!.t);
    const left = 48 * dpr;
    const top = 8 * dpr;
    const bottom = hgt - 18 * dpr;
    const right = w - 8 * dpr;
    const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (right - left);
    const y = (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
    ctx.fillText(formatNumber(hi), 4 * dpr, top + 8 * dpr);
    ctx.fillText(formatNumber(lo), 4 * dpr, bottom);
    ctx.fillText(`${((t1 - t0) / 1000).toFixed(1)} s · ${this.points.length} points`, left, hgt - 4 * dpr);
    ctx.strokeStyle = fg;
    ctx.lineWidth = dpr;
    ctx.beginPath();
    ctx.moveTo(left, top);
    ctx.lineTo(left, bottom);
    ctx.lineTo(right, bottom);
    ctx.stroke();
    ctx.strokeStyle = line;
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    this.points.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p.t), y(p.v)) : ctx.lineTo(x(p.t), y(p.v))));
    ctx.stroke();
  }
}

const formatNumber = (v: number) => (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(2));

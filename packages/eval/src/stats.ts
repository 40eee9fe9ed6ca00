// Paired Student t-test across seeds: the report's significance test of augmented against
// baseline (same seeds, so the runs pair up).

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~1e-15 relative). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz), for x < (a+1)/(a+b+2). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    // Even step.
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/**
 * The regularised incomplete beta function I_x(a, b), a, b > 0, 0 ≤ x ≤ 1; `y` = 1 − x when
 * the caller knows it more precisely than 1 − x rounds to.
 */
export function incompleteBeta(x: number, a: number, b: number, y: number = 1 - x): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(y));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(y, b, a)) / b;
}

/** Two-sided tail P(|T| ≥ |t|) of Student's t distribution with `df` degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  // x = df / (df + t²) and 1 − x = t² / (df + t²), each computed directly (no cancellation).
  const t2 = t * t;
  return incompleteBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
}

/** The quantile q with P(T ≤ q) = `prob` (0.5 < prob < 1) of Student's t with `df` degrees of freedom. */
export function studentQuantile(prob: number, df: number): number {
  // P(T ≤ q) = 1 - p(q)/2 is increasing in q: bisection on the two-sided tail.
  const tail = 2 * (1 - prob);
  let lo = 0;
  let hi = 1;
  while (studentTwoSidedP(hi, df) > tail) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTwoSidedP(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A paired t-test of `a` against `b` (see {@link pairedTTest}). */
export interface PairedTTest {
  /** Number of pairs. */
  readonly n: number;
  /** Mean of the differences a − b. */
  readonly meanDiff: number;
  /** Sample standard deviation of the differences (n − 1 in the denominator). */
  readonly sdDiff: number;
  /** t = meanDiff / (sdDiff / √n); ±Infinity when every difference is the same non-zero value, 0 when all are 0. */
  readonly t: number;
  /** Degrees of freedom, n − 1. */
  readonly df: number;
  /** Two-sided p-value of "mean difference = 0". */
  readonly p: number;
  /** 95 % confidence interval of the mean difference. */
  readonly ci95: readonly [number, number];
}

/**
 * Student's paired t-test of `a` against `b` (equal lengths, pairs at the same index, e.g.
 * the same seed): t = mean(d) / (sd(d) / √n) with d = a − b, n − 1 degrees of freedom,
 * two-sided p-value and 95 % interval of the mean difference. Returns `null` for fewer than
 * two pairs (no variance to test against).
 */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedTTest | null {
  if (a.length !== b.length) throw new RangeError(`pairedTTest needs pairs: ${a.length} and ${b.length} values.`);
  const n = a.length;
  if (n < 2) return null;
  const d = a.map((x, i) => x - b[i]!);
  const meanDiff = d.reduce((s, x) => s + x, 0) / n;
  const sdDiff = Math.sqrt(d.reduce((s, x) => s + (x - meanDiff) ** 2, 0) / (n - 1));
  const df = n - 1;
  const se = sdDiff / Math.sqrt(n);
  const t = se > 0 ? meanDiff / se : meanDiff === 0 ? 0 : meanDiff > 0 ? Infinity : -Infinity;
  const p = se > 0 ? studentTwoSidedP(t, df) : meanDiff === 0 ? 1 : 0;
  const half = se * studentQuantile(0.975, df);
  return { n, meanDiff, sdDiff, t, df, p, ci95: [meanDiff - half, meanDiff + half] };
}

// The one table of per-row measures. Every layer derives its shape from it: the `Measures` type
// and MEASURE_KEYS (divergence), the kernels' BatchStats fields and result slots (TypeScript,
// AssemblyScript and C++ through scripts/slots.mjs), compare's per-row block, sums and JSON
// keys, the per-token file's columns, and the labels of tables and the web page.
// This module has no imports: scripts/slots.mjs transpiles it on its own at build time.

/**
 * How a value converts between nats and bits: 'log' divides by ln 2 in bits, 'none' is
 * unitless (TV), and a 'sqrt' measure is the square root of another measure in the unit.
 */
export type UnitRule = 'log' | 'none' | 'sqrt';

/** compare's view of a measure: P = base, Q = candidate. */
export interface CompareSpec {
  /** Field of compare's per-row block (RowBlock). */
  readonly row: string;
  /** Column of the per-token file. */
  readonly column: string;
  /** Key of compare's exact sums (the square's sum is `sum + '2'`) and of its JSON result. */
  readonly sum: string;
  readonly result: string;
  /** The label with the direction written out (the text table of `klscope compare` says "Mean " before it for a measure without quantiles). */
  readonly label: string;
  /** Whether compare reports quantiles (a sketch and retained values) beside mean and stderr. */
  readonly quantiles: boolean;
  /** Whether the native .kld row-pair loop computes it (when one compare measure lacks it, the JavaScript loop runs). */
  readonly nativeKld: boolean;
}

/** One per-row measure of a (P, Q) pair, P = reference, Q = model. */
export interface MeasureSpec {
  /** Field of `Measures` and JSON key of `klscope kl --json`. */
  readonly key: string;
  /** Symbol with the direction explicit. */
  readonly symbol: string;
  /** Meaning for tables; `unitNames` overrides it in a one-unit table. */
  readonly name: string;
  readonly unitNames?: { readonly nats: string; readonly bits: string };
  readonly unit: UnitRule;
  /** For unit 'sqrt': the measure it is the root of. */
  readonly of?: string;
  /** Whether a row can make it +∞ (support mismatch): the fused kernels then hand the row to the reference. */
  readonly infinite: boolean;
  /** Whether the kernels compute it: a float64 result slot and a BatchStats field of this name. */
  readonly kernel: boolean;
  /** Field of the C++ kernel's RowResult (native/kernel.h), for kernel measures. */
  readonly native?: string;
  /** Whether the kernels' 'kl' mode (measures: 'kl') leaves it NaN. */
  readonly allOnly?: boolean;
  readonly compare?: CompareSpec;
}

/** The measures in report order. */
export const MEASURE_TABLE = [
  {
    key: 'forward',
    symbol: 'KL(P‖Q)',
    name: 'forward KL, P = reference',
    unit: 'log',
    infinite: true,
    kernel: true,
    native: 'forward',
    compare: { row: 'forward', column: 'kl_base_candidate', sum: 'kld', result: 'kld', label: 'KL(base‖candidate)', quantiles: true, nativeKld: true },
  },
  {
    key: 'reverse',
    symbol: 'KL(Q‖P)',
    name: 'reverse KL',
    unit: 'log',
    infinite: true,
    kernel: true,
    native: 'reverse',
    compare: { row: 'reverse', column: 'kl_candidate_base', sum: 'rkld', result: 'reverseKld', label: 'KL(candidate‖base)', quantiles: true, nativeKld: true },
  },
  { key: 'entropyP', symbol: 'H(P)', name: 'entropy of P', unit: 'log', infinite: false, kernel: true, native: 'entropyP' },
  { key: 'entropyQ', symbol: 'H(Q)', name: 'entropy of Q', unit: 'log', infinite: false, kernel: true, native: 'entropyQ' },
  { key: 'crossEntropyPQ', symbol: 'H(P,Q)', name: 'cross-entropy = H(P) + KL(P‖Q)', unit: 'log', infinite: true, kernel: true, native: 'crossPQ' },
  { key: 'crossEntropyQP', symbol: 'H(Q,P)', name: 'cross-entropy = H(Q) + KL(Q‖P)', unit: 'log', infinite: true, kernel: true, native: 'crossQP' },
  {
    key: 'jsDivergence',
    symbol: 'JS(P,Q)',
    name: 'Jensen–Shannon divergence (≤ ln 2 nats = 1 bit)',
    unitNames: { nats: 'Jensen–Shannon divergence (≤ ln 2 nats)', bits: 'Jensen–Shannon divergence (≤ 1 bit)' },
    unit: 'log',
    infinite: false,
    kernel: true,
    native: 'js',
    allOnly: true,
    compare: { row: 'js', column: 'js', sum: 'js', result: 'js', label: 'JS(base, candidate)', quantiles: false, nativeKld: true },
  },
  {
    key: 'jsDistance',
    symbol: '√JS(P,Q)',
    name: 'Jensen–Shannon distance',
    unitNames: { nats: 'Jensen–Shannon distance (≤ √ln 2)', bits: 'Jensen–Shannon distance (≤ 1)' },
    unit: 'sqrt',
    of: 'jsDivergence',
    infinite: false,
    kernel: false,
  },
  {
    key: 'tvd',
    symbol: 'TV(P,Q)',
    name: 'total variation ½Σ|p−q| (no unit)',
    unit: 'none',
    infinite: false,
    kernel: true,
    native: 'tvd',
    allOnly: true,
    compare: { row: 'tvd', column: 'tvd', sum: 'tvd', result: 'tvd', label: 'TVD ½Σ|p−q|', quantiles: false, nativeKld: true },
  },
] as const satisfies readonly MeasureSpec[];

type Table = (typeof MEASURE_TABLE)[number];

/** Name of a measure: a field of `Measures`. */
export type MeasureKey = Table['key'];
/** The measures the kernels compute (a BatchStats field each). */
export type KernelMeasureKey = Extract<Table, { kernel: true }>['key'];
type CompareEntry = Extract<Table, { compare: CompareSpec }>;
/** Fields of compare's per-row block that hold a measure. */
export type CompareRowKey = CompareEntry['compare']['row'];
/** Keys of compare's exact sums of a measure and of its square. */
export type CompareSumKey = CompareEntry['compare']['sum'] | `${CompareEntry['compare']['sum']}2`;
/** Keys of compare's JSON result that hold a measure. */
export type CompareResultKey = CompareEntry['compare']['result'];
export type QuantileResultKey = Extract<CompareEntry, { compare: { quantiles: true } }>['compare']['result'];

/** The measure names in report order. */
export const MEASURE_KEYS: readonly MeasureKey[] = MEASURE_TABLE.map((m) => m.key);

/** The measures compare reports per token, in order, with the measure key they come from. */
export const COMPARE_MEASURES: ReadonlyArray<CompareSpec & { readonly key: KernelMeasureKey; readonly row: CompareRowKey; readonly sum: CompareEntry['compare']['sum']; readonly result: CompareResultKey }> = (
  MEASURE_TABLE as readonly MeasureSpec[]
)
  .filter((m) => m.compare)
  .map((m) => ({ ...m.compare!, key: m.key as KernelMeasureKey, row: m.compare!.row as CompareRowKey, sum: m.compare!.sum as CompareEntry['compare']['sum'], result: m.compare!.result as CompareResultKey }));

/**
 * The float64 result slots of the kernels, in the order the wasm and native kernels write them:
 * the kernel measures in table order, then the target log-probabilities. After them come the
 * integer results (argmax of P, of Q, the invalid flag), also stored as float64 by the wasm kernel.
 */
export const KERNEL_F64_SLOTS = [
  ...(MEASURE_TABLE as readonly MeasureSpec[]).filter((m) => m.kernel).map((m) => ({ key: m.key as KernelMeasureKey | 'logpTarget' | 'logqTarget', native: m.native! })),
  { key: 'logpTarget', native: 'lpt' },
  { key: 'logqTarget', native: 'lqt' },
] as const;

/** The kernels' integer results after the float64 slots: field of BatchStats and of the C++ RowResult. */
export const KERNEL_INT_SLOTS = [
  { key: 'argmaxP', native: 'argmaxP' },
  { key: 'argmaxQ', native: 'argmaxQ' },
  { key: 'invalid', native: 'invalid' },
] as const;

/**
 * A measure's value in the unit from its value in nats, by its unit rule (`nats(k)` gives any
 * measure's value in nats, for the 'sqrt' ones).
 *
 * @example
 * measureInUnit('jsDivergence', (k) => (k === 'jsDivergence' ? Math.LN2 : 0), 'bits'); // 1
 */
export function measureInUnit(key: MeasureKey, nats: (k: MeasureKey) => number, unit: 'nats' | 'bits'): number {
  const m = SPEC[key];
  if (m.unit === 'none') return nats(key);
  if (m.unit === 'sqrt') return Math.sqrt(measureInUnit(m.of as MeasureKey, nats, unit));
  const x = nats(key);
  return unit === 'bits' ? x / Math.LN2 : x;
}

/** Each measure's table row by key. */
export const SPEC = Object.fromEntries(MEASURE_TABLE.map((m) => [m.key, m as MeasureSpec])) as Record<MeasureKey, MeasureSpec>;

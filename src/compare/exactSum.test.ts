import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExactSum } from './exactSum.js';

/** The exact sum of doubles with BigInt (every double is an integer times 2^-1074), rounded by Number(). */
function bigSum(xs: number[]): number {
  let acc = 0n;
  for (const x of xs) {
    // x·2^1074 is an integer for every finite double
    const [m, e] = frexpInt(x);
    acc += e >= 0 ? m << BigInt(e) : m >> BigInt(-e);
  }
  // round acc·2^-1074 to a double: scale down by powers of two in exact steps
  const neg = acc < 0n;
  let a = neg ? -acc : acc;
  let exp = -1074;
  // keep two bits beyond the 53 of a double (guard and sticky), then Number() rounds half to even
  while (a >= 1n << 55n) {
    // keep a sticky bit so round-half-even sees the discarded tail
    const low = a & 1n;
    a >>= 1n;
    if (low) a |= 1n;
    exp++;
  }
  const v = Number(a) * 2 ** exp;
  return neg ? -v : v;
}

function frexpInt(x: number): [bigint, number] {
  // x = m·2^(e − 1074) with integer m; returns [m, e] (shift of m to the 2^-1074 grid)
  if (x === 0) return [0n, 0];
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const ex = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  const m = ex === 0 ? frac : frac | (1n << 52n);
  const e = ex === 0 ? 0 : ex - 1;
  return [sign * m, e];
}

describe('ExactSum', () => {
  test('sums that cancel catastrophically in plain floating point', () => {
    const s = new ExactSum();
    for (const x of [1e100, 1, -1e100]) s.add(x);
    assert.equal(s.value(), 1);
    const t = new ExactSum();
    for (let i = 0; i < 10; i++) t.add(0.1);
    assert.equal(t.value(), 1); // a plain loop gives 0.9999999999999999
  });

  test('is the correctly rounded exact sum, whatever the order or the split (property)', () => {
    // normal doubles (subnormal results would be rounded twice by the reference below)
    const dbl = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 }).filter((x) => x === 0 || Math.abs(x) > 1e-200);
    fc.assert(
      fc.property(fc.array(dbl, { minLength: 1, maxLength: 40 }), fc.nat(), (xs, cut) => {
        const whole = new ExactSum();
        for (const x of xs) whole.add(x);
        assert.equal(whole.value(), bigSum(xs));
        const k = cut % (xs.length + 1);
        const a = new ExactSum();
        const b = new ExactSum();
        for (const x of xs.slice(0, k).reverse()) a.add(x);
        for (const x of xs.slice(k)) b.add(x);
        const merged = ExactSum.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
        merged.merge(ExactSum.fromJSON(JSON.parse(JSON.stringify(b.toJSON()))));
        assert.equal(merged.value(), whole.value());
      }),
      { numRuns: 300 },
    );
  });

  test('a sum of zeros is +0, also when one of them is −0', () => {
    const s = new ExactSum();
    s.add(-0);
    assert.ok(Object.is(s.value(), 0));
    assert.ok(Object.is(new ExactSum().value(), 0));
  });

  test('infinities are counted apart', () => {
    const s = new ExactSum();
    s.add(1);
    s.add(Infinity);
    assert.equal(s.value(), Infinity);
    s.add(-Infinity);
    assert.ok(Number.isNaN(s.value()));
  });
});

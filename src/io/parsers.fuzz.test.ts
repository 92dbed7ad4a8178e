// Property fuzzing of every parser: for any input, a result or a KlscopeError (DataError or
// ArgumentError) with a one-line, bounded message; never a TypeError, RangeError, plain Error,
// NaN in a result, or a hang. Fixed seeds, so a failure reproduces; the case counts are logged.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { KlscopeError } from '../errors.js';
import { encodeNpy, parseNpy } from './npy.js';
import { encodeSafetensors, openSafetensorsRows, parseSafetensorsHeader } from './safetensors.js';
import { KldFile, parseKldHeader } from './kld.js';
import { parseLogprobLine } from './logprobJsonl.js';
import { parseCsvMatrix, parseInlineMatrix, parseJsonMatrix } from './matrixArg.js';
import { parseSampleCsv } from './sampleMatrix.js';
import { readCorpus } from './textFiles.js';
import { parseTopkLine } from '../compare/topk.js';
import { CompareAccumulator } from '../compare/accumulator.js';
import { createRowBlock } from '../compare/rowStats.js';
import { parseMixture } from '../fit/mixture.js';
import { parseMixture2d } from '../fit/fit2d.js';
import { fitGaussian } from '../fit/fit1d.js';

const dir = mkdtempSync(path.join(tmpdir(), 'klscope-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `f`; a thrown error must be a KlscopeError with a one-line message of bounded length. */
function resultOrError<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof KlscopeError)) throw new Error(`expected a KlscopeError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.ok(!/[\n\r]/.test(e.message), `multi-line message: ${JSON.stringify(e.message)}`);
    assert.ok(e.message.length <= 600, `message of ${e.message.length} characters: ${e.message.slice(0, 200)}…`);
    assert.ok(!/\bundefined\b|\[object Object\]/.test(e.message), `message shows an internal value: ${e.message}`);
    return undefined;
  }
}

const counts: Record<string, number> = {};
function check<T>(name: string, arb: fc.Arbitrary<T>, prop: (x: T) => void, numRuns: number, seed: number): void {
  fc.assert(fc.property(arb, prop), { numRuns, seed, endOnFailure: true });
  counts[name] = numRuns;
}
after(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  process.stderr.write(`fuzz cases: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}; total ${total}\n`);
});

const finiteArray = (a: ArrayLike<number>) => {
  for (let i = 0; i < a.length; i++) assert.ok(!Number.isNaN(a[i]), 'NaN in a result');
};

/** Bytes that are mostly near the format: a valid file with a few bytes changed, cut or extended. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.tuple(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.integer({ min: -valid.length, max: 64 })).map(([edits, cut]) => {
      const out = new Uint8Array(Math.max(0, valid.length + cut));
      out.set(valid.subarray(0, Math.min(valid.length, out.length)));
      for (const [i, b] of edits) if (i < out.length) out[i] = b;
      return out;
    }),
    fc.uint8Array({ maxLength: 200 }),
  );
}

describe('parser fuzzing (fast-check, fixed seeds)', () => {
  test('.npy: mutated files and hostile headers', () => {
    const valid = encodeNpy(new Float32Array([0.5, -1, 2, 3, 4, 5]), [2, 3]);
    const header = fc
      .tuple(
        fc.constantFrom("'<f4'", "'<f8'", "'<i4'", "'<i8'", "'<f2'", "'>f4'", "'|O'", "'<c8'", '1'),
        fc.constantFrom('True', 'False', 'None'),
        fc.array(fc.oneof(fc.nat(10), fc.constant(2 ** 31), fc.constant(2 ** 53), fc.constant(-1), fc.constant(1.5), fc.constant('3L'), fc.constant('x')), { maxLength: 4 }),
        fc.nat(64),
      )
      .map(([d, f, shape, extra]) => {
        const text = `{'descr': ${d}, 'fortran_order': ${f}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`.padEnd(118) + '\n';
        const head = new TextEncoder().encode(text);
        const buf = new Uint8Array(10 + head.length + extra);
        buf.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
        new DataView(buf.buffer).setUint16(8, head.length, true);
        buf.set(head, 10);
        return buf;
      });
    check('npy', fc.oneof(mutated(valid), header), (buf) => {
      const r = resultOrError(() => parseNpy(buf, 'x.npy'));
      if (r) {
        assert.equal(r.data.length, r.shape.reduce((a, b) => a * b, 1));
        if (r.data instanceof Float32Array || r.data instanceof Float64Array) finiteArray(r.data.filter((x) => !Number.isNaN(x)));
      }
    }, 3000, 101);
  });

  test('.safetensors: headers from JSON values and hostile entries, opened from disk', () => {
    const valid = encodeSafetensors({ logits: { data: new Float32Array(6), shape: [2, 3] } });
    const entry = fc.record({
      dtype: fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I32', 'U8', 7 as unknown as string),
      shape: fc.oneof(fc.array(fc.oneof(fc.nat(4), fc.constant(-2), fc.constant(1.5), fc.constant('2' as unknown as number), fc.constant(2 ** 31)), { maxLength: 4 }), fc.constant(null as unknown as number[])),
      data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -8, max: 64 }), fc.integer({ min: -8, max: 64 })), fc.array(fc.integer(), { maxLength: 3 })),
    });
    const json = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom('logits', 'x', '__metadata__'), entry, { maxKeys: 3 }));
    const built = fc.tuple(json, fc.nat(64)).map(([j, pad]) => {
      const text = new TextEncoder().encode(JSON.stringify(j) ?? 'null');
      const buf = new Uint8Array(8 + text.length + pad);
      new DataView(buf.buffer).setBigUint64(0, BigInt(text.length), true);
      buf.set(text, 8);
      return buf;
    });
    let k = 0;
    check('safetensors', fc.oneof(mutated(valid), built), (buf) => {
      resultOrError(() => parseSafetensorsHeader(buf, 'x.safetensors', buf.length));
      const f = path.join(dir, `s${k++ % 8}.safetensors`);
      writeFileSync(f, buf);
      const r = resultOrError(() => openSafetensorsRows(f));
      if (r) {
        assert.ok(r.rows >= 0 && r.cols >= 1);
        r.close();
      }
    }, 2000, 102);
  });

  test('.kld headers: sizes from 0 to 2^31 − 1, files cut short or too long', () => {
    const hdr = fc.tuple(
      fc.oneof(fc.integer({ min: -3, max: 6 }), fc.constant(2 ** 31 - 1)),
      fc.oneof(fc.integer({ min: -3, max: 6 }), fc.constant(2 ** 31 - 1)),
      fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constant(2 ** 31 - 1)),
      fc.integer({ min: -64, max: 64 }),
      fc.boolean(),
    );
    let k = 0;
    check('kld', hdr, ([nCtx, nVocab, nChunk, delta, magic]) => {
      const head = new Uint8Array(20);
      head.set(new TextEncoder().encode(magic ? '_logits_' : '_logitz_'));
      const dv = new DataView(head.buffer);
      dv.setInt32(8, nCtx, true);
      dv.setInt32(12, nVocab, true);
      dv.setInt32(16, nChunk, true);
      // the declared size (a sparse file's length, as a number) plus a small error
      const r = resultOrError(() => parseKldHeader(head, 'x.kld', 20 + 10_000 + delta));
      if (r) assert.ok(r.rows > 0 && r.rowBytes > 0);
      const small = nCtx * nChunk < 64 && nCtx > 0 && nChunk > 0 && nVocab > 0 && nVocab < 64;
      if (small) {
        const f = path.join(dir, `k${k++ % 8}.kld`);
        const size = Math.max(20, 20 + 4 * nCtx * nChunk + Math.floor(nCtx / 2) * nChunk * (4 + 2 * Math.min(nVocab, 5)) + delta);
        const buf = new Uint8Array(size);
        buf.set(head.subarray(0, Math.min(20, size)));
        writeFileSync(f, buf);
        const file = resultOrError(() => new KldFile(f));
        file?.close();
      }
    }, 3000, 103);
  });

  const lineArb = (keys: string[]) =>
    fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
      fc
        .dictionary(
          fc.constantFrom(...keys),
          fc.oneof(fc.double(), fc.constantFrom('-Infinity', 'a', null), fc.array(fc.oneof(fc.double({ max: 0 }), fc.constant('-Infinity'), fc.record({ token: fc.string({ maxLength: 3 }), logprob: fc.double({ max: 0.1 }) })), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 2 }), fc.double({ max: 0 }), { maxKeys: 3 })),
          { maxKeys: 4 },
        )
        .map((o) => JSON.stringify(o)),
      fc.constant('x'.repeat(100_000)),
    );

  test('top-k JSONL lines', () => {
    check('topk-jsonl', lineArb(['token', 'logprob', 'top_logprobs']), (line) => {
      const r = resultOrError(() => parseTopkLine(line, 'x.jsonl', 3));
      if (r) {
        assert.ok(r.logprob <= 0 && !Number.isNaN(r.logprob));
        for (const t of r.top) assert.ok(t.logprob <= 0);
      }
    }, 3000, 104);
  });

  test('log-probability JSONL lines', () => {
    check('logprob-jsonl', lineArb(['logp', 'logq']), (line) => {
      const r = resultOrError(() => parseLogprobLine(line, 3, 'x.jsonl'));
      if (r) {
        assert.equal(r.logp.length, r.logq.length);
        for (const x of r.logq) assert.ok(x <= 0 && x > -Infinity);
      }
    }, 3000, 105);
  });

  test('summaries: a valid summary with fields removed, replaced or broken', () => {
    const acc = new CompareAccumulator();
    const b = createRowBlock(40, 0);
    for (let i = 0; i < 40; i++) {
      b.forward[i] = 0.01 * i;
      b.reverse[i] = 0.02 * i;
      b.js[i] = 0.001 * i;
      b.tvd[i] = 0.003 * i;
      b.position[i] = i;
      b.target[i] = i % 7;
      b.logpTarget[i] = -1 - 0.01 * i;
      b.logqTarget[i] = -1.1 - 0.01 * i;
    }
    acc.addBlock(b);
    acc.rowRanges = [[0, 40]];
    const base = JSON.parse(JSON.stringify(acc.toSummary())) as Record<string, unknown>;
    const paths: string[][] = [];
    const walk = (v: unknown, p: string[]) => {
      paths.push(p);
      if (v && typeof v === 'object' && p.length < 5) for (const [k, x] of Object.entries(v).slice(0, 12)) walk(x, [...p, k]);
    };
    walk(base, []);
    const edit = fc.tuple(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-7, 1e308, 0, 5_000_000, 0.5, 'x', null, [1e308, 1e308])));
    check('summary', fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
      const j = structuredClone(base);
      for (const [p, value] of edits) {
        let o = j as Record<string, unknown>;
        for (const k of p.slice(0, -1)) {
          if (!o || typeof o[k] !== 'object' || o[k] === null) break;
          o = o[k] as Record<string, unknown>;
        }
        if (o && typeof o === 'object') {
          if (value === undefined) delete o[p[p.length - 1]!];
          else o[p[p.length - 1]!] = value;
        }
      }
      const r = resultOrError(() => CompareAccumulator.fromSummary(j, 'part.json').result());
      if (r) {
        assert.ok(r.tokens >= 1 && Number.isInteger(r.tokens));
        assert.ok(r.sameTop.p >= 0 && r.sameTop.p <= 1);
        for (const v of [r.kld.mean, r.reverseKld.mean, r.js.mean, r.tvd.mean]) assert.ok(!Number.isNaN(v));
      }
    }, 3000, 106);
  });

  const csvText = fc.stringMatching(/^[0-9.,eE+\- \t\n#"naNIif;\r]{0,80}$/);

  test('CSV (sample sets and matrices)', () => {
    check('csv', csvText, (t) => {
      for (const m of [resultOrError(() => parseSampleCsv(t, 'x.csv')), resultOrError(() => parseCsvMatrix(t, 'x.csv'))]) {
        if (m) assert.equal(m.data.length, m.rows * m.cols);
      }
      const s = resultOrError(() => parseSampleCsv(t, 'x.csv'));
      if (s) finiteArray(s.data);
    }, 3000, 107);
  });

  test('inline lists and JSON matrices (also 200,000 levels deep)', () => {
    const deep = fc.constantFrom(3, 100, 5000, 200_000).map((n) => '['.repeat(n) + '0.5' + ']'.repeat(n));
    const text = fc.oneof({ arbitrary: csvText, weight: 10 }, { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''), weight: 10 }, { arbitrary: deep, weight: 1 });
    check('inline-list', text, (t) => {
      const a = resultOrError(() => parseInlineMatrix(t, 'p'));
      if (a) assert.equal(a.data.length, a.rows * a.cols);
      const b = resultOrError(() => parseJsonMatrix(t, 'p'));
      if (b) assert.equal(b.data.length, b.rows * b.cols);
    }, 2000, 108);
  });

  test('--mix (1-D and 2-D); valid 1-D mixtures fit to finite values', () => {
    const num = fc.oneof(fc.constantFrom('0.5', '1', '-3', '3', '1e300', '1e-300', '-1e300', 'nan', 'Infinity', '', ' ', '0', '1e6', '1e-6'), fc.double().map(String));
    const comp = (k: number) => fc.array(num, { minLength: k - 1, maxLength: k + 1 }).map((f) => f.join(':'));
    const mix = (k: number) => fc.array(comp(k), { minLength: 0, maxLength: 4 }).map((c) => c.join(','));
    let fitted = 0;
    check('mix', fc.oneof(mix(3), mix(5), fc.string({ maxLength: 30 })), (t) => {
      const m = resultOrError(() => parseMixture(t, '--mix'));
      if (m && fitted < 150) {
        fitted++;
        const r = resultOrError(() => fitGaussian(m));
        if (r) for (const v of [r.forward.mu, r.forward.sigma, r.forward.kl, r.reverse.mu, r.reverse.sigma, r.reverse.kl]) assert.ok(Number.isFinite(v), `fit gave ${v} for ${t}`);
      }
      resultOrError(() => parseMixture2d(t, '--mix'));
    }, 3000, 109);
  });

  test('text folders: files, folders, symlinks (loops, dangling), binary and invalid UTF-8', () => {
    const node = fc.constantFrom('text', 'empty', 'binary', 'badutf8', 'loop', 'dangling', 'dir', 'bom');
    let k = 0;
    check('text-folder', fc.array(node, { minLength: 0, maxLength: 5 }), (kinds) => {
      const root = path.join(dir, `t${k++}`);
      mkdirSync(root);
      kinds.forEach((kind, i) => {
        const f = path.join(root, `f${i}.txt`);
        if (kind === 'text') writeFileSync(f, `hello world ${i}\n`);
        else if (kind === 'empty') writeFileSync(f, '');
        else if (kind === 'binary') writeFileSync(f, new Uint8Array([104, 0, 105]));
        else if (kind === 'badutf8') writeFileSync(f, new Uint8Array([104, 0xc3, 0x28]));
        else if (kind === 'bom') writeFileSync(f, '\ufeffbom text');
        else if (kind === 'loop') symlinkSync('..', path.join(root, `up${i}`));
        else if (kind === 'dangling') symlinkSync(path.join(root, 'nowhere'), f);
        else if (kind === 'dir') mkdirSync(path.join(root, `d${i}`));
      });
      for (const lines of [false, true]) {
        const r = resultOrError(() => readCorpus(root, { name: 'GENERATED', lines }));
        if (r) assert.ok(r.length > 0 && r.every((d) => typeof d.text === 'string'));
      }
      rmSync(root, { recursive: true, force: true });
    }, 400, 110);
  });
});

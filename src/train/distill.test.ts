import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadBrown, type BrownSplit } from './corpus.js';
import { distillFindings, runDistill, type DistillOptions, type DistillResult } from './distill.js';
import { toJson } from '../report/json.js';
import { DataError } from '../errors.js';

// A tiny run: ten Brown files, a 4-gram teacher, students that see 1 character, 120 steps.
let corpus: BrownSplit;
let result: DistillResult;
const tiny = (): DistillOptions => ({
  corpus,
  seed: 3,
  order: 4,
  studentContext: 1,
  steps: 120,
  batch: 256,
  learningRate: 0.2,
  trainPositions: 5000,
  evalPositions: 2000,
  samples: 4,
  sampleLength: 60,
  losses: ['fkl', 'rkl', 'jsd', 'ce', 'opd'],
  opdEstimators: ['k1-reward', 'k3-loss'],
  opdBatch: 1024,
});

before(async () => {
  corpus = loadBrown({ stride: 50 });
  result = await runDistill(tiny());
});

describe('runDistill (tiny slice)', () => {
  test('the JSON has the issue\'s shape: teacher object and one student per loss', () => {
    const j = JSON.parse(toJson(result)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j), ['teacher', 'students', 'findings']);
    const students = j.students as Array<Record<string, unknown>>;
    assert.deepEqual(students.map((s) => s.loss), ['fkl', 'rkl', 'jsd', 'ce', 'opd', 'opd']);
    assert.deepEqual(students.map((s) => s.opdEstimator), [null, null, null, null, 'k1-reward', 'k3-loss']);
    for (const s of students) {
      for (const k of ['forwardKl', 'reverseKl', 'studentEntropy', 'teacherEntropy', 'sampleTeacherNll', 'reverseKlOnSamples', 'distinct2', 'samplesPerSecond', 'teacherEvaluationsPerSample']) {
        assert.ok(typeof s[k] === 'number' && Number.isFinite(s[k]), `${s.loss}.${k} = ${s[k]}`);
      }
      assert.equal((s.samples as string[]).length, 4);
      assert.ok((s.samples as string[]).every((x) => x.length === 60));
      assert.equal(s.teacherEntropy, students[0]!.teacherEntropy);
    }
  });
  test('gaps to the exact optima are never negative; the forward-KL student nearly reaches its training optimum', () => {
    for (const s of result.students) {
      assert.ok(s.forwardKlGapToOptimum >= -1e-12 && s.reverseKlGapToOptimum >= -1e-12);
      assert.ok(s.trainForwardKlGapToOptimum >= -1e-12);
    }
    const f = result.students.find((s) => s.loss === 'fkl')!;
    assert.ok(f.trainForwardKlGapToOptimum < 0.01, `train gap ${f.trainForwardKlGapToOptimum}`);
    // Every student is scored against the same optimum; the forward-KL one is closest to it.
    assert.ok(result.students.every((s) => s.forwardKlGapToOptimum >= f.forwardKlGapToOptimum));
  });
  test('measured contrast: reverse KL sharper, forward KL better coverage', () => {
    const f = result.students.find((s) => s.loss === 'fkl')!;
    const r = result.students.find((s) => s.loss === 'rkl')!;
    assert.ok(r.studentEntropy < f.studentEntropy, `${r.studentEntropy} vs ${f.studentEntropy}`);
    assert.ok(f.forwardKl < r.forwardKl && r.reverseKl < f.reverseKl);
    const findings = distillFindings(result);
    assert.equal(findings.length, 4);
    assert.ok(findings[0]!.holds && findings[2]!.holds);
    assert.deepEqual(result.findings, findings);
  });
  test('on-policy students: one teacher evaluation per sampled token; k3 as a loss is the higher-entropy, lower-KL(P‖Q) one', () => {
    const k1 = result.students.find((s) => s.opdEstimator === 'k1-reward')!;
    const k3 = result.students.find((s) => s.opdEstimator === 'k3-loss')!;
    assert.equal(k1.teacherEvaluationsPerSample, 1);
    assert.equal(k1.batch, 1024);
    const rkl = result.students.find((s) => s.loss === 'rkl')!;
    assert.equal(rkl.teacherEvaluationsPerSample, 5000 / (120 * 256));
    assert.equal(result.students.find((s) => s.loss === 'ce')!.teacherEvaluationsPerSample, 0);
    const f = result.findings.find((x) => x.claim.startsWith('opd with k3 as a loss'))!;
    assert.equal(f.holds, k3.studentEntropy > k1.studentEntropy && k3.forwardKl < k1.forwardKl);
    assert.ok(f.detail.includes(k3.studentEntropy.toFixed(4)));
  });
  test('the same seed repeats the run exactly; another seed differs', async () => {
    const small = { ...tiny(), losses: ['rkl' as const], steps: 40, trainPositions: 2000, evalPositions: 500 };
    // Everything but the wall-clock throughput.
    const strip = (r: DistillResult) => toJson({ ...r, students: r.students.map((s) => ({ ...s, samplesPerSecond: 0 })) });
    const [a, b, c] = [await runDistill(small), await runDistill(small), await runDistill({ ...small, seed: 4 })];
    assert.equal(strip(a), strip(b));
    assert.notEqual(strip(a), strip(c));
  });
  test('bad settings are refused: student context as long as the teacher\'s, unknown loss, zero steps', async () => {
    await assert.rejects(runDistill({ ...tiny(), order: 3, studentContext: 2 }), /must be shorter than the teacher's context/);
    await assert.rejects(runDistill({ ...tiny(), losses: ['kl' as never] }), /invalid loss "kl": expected one of fkl, rkl, jsd, tvd, ce, opd/);
    await assert.rejects(runDistill({ ...tiny(), opdEstimators: ['k3-reward' as never] }), /invalid opd estimator "k3-reward"/);
    await assert.rejects(runDistill({ ...tiny(), steps: 0 }), /invalid steps: expected an integer from 1 to 1000000, got 0/);
    // Refused before anything is allocated (1e8 positions would be 25 GB of teacher distributions).
    await assert.rejects(runDistill({ ...tiny(), evalPositions: 1e8 }), /invalid evalPositions: expected an integer from 1 to 1000000, got 100000000/);
  });
  test('a diverging run says so and to lower the learning rate', async () => {
    await assert.rejects(
      runDistill({ ...tiny(), losses: ['rkl'], steps: 30, learningRate: 1e10, trainPositions: 2000, evalPositions: 500 }),
      (e: unknown) => e instanceof DataError && /^training diverged: the rkl student's .* at learning rate 10000000000; lower the learningRate option$/.test(e.message) && !/normalize/.test(e.message),
    );
  });
});

import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadBrown, type BrownSplit } from './corpus.js';
import { distillFindings, runDistill, type DistillOptions, type DistillResult } from './distill.js';
import { toJson } from '../report/json.js';

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
});

before(async () => {
  corpus = loadBrown({ stride: 50 });
  result = await runDistill(tiny());
});

describe('runDistill (tiny slice)', () => {
  test('the JSON has the issue\'s shape: teacher object and one student per loss', () => {
    const j = JSON.parse(toJson(result)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j), ['teacher', 'students']);
    const students = j.students as Array<Record<string, unknown>>;
    assert.deepEqual(students.map((s) => s.loss), ['fkl', 'rkl', 'jsd', 'ce']);
    for (const s of students) {
      for (const k of ['forwardKl', 'reverseKl', 'studentEntropy', 'teacherEntropy', 'sampleTeacherNll', 'distinct2']) {
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
    assert.equal(findings.length, 3);
    assert.ok(findings[0]!.holds && findings[2]!.holds);
  });
  test('the same seed repeats the run exactly; another seed differs', async () => {
    const small = { ...tiny(), losses: ['rkl' as const], steps: 40, trainPositions: 2000, evalPositions: 500 };
    const [a, b, c] = [await runDistill(small), await runDistill(small), await runDistill({ ...small, seed: 4 })];
    assert.equal(toJson(a), toJson(b));
    assert.notEqual(toJson(a), toJson(c));
  });
  test('bad settings are refused: student context as long as the teacher\'s, unknown loss, zero steps', async () => {
    await assert.rejects(runDistill({ ...tiny(), order: 3, studentContext: 2 }), /must be shorter than the teacher's context/);
    await assert.rejects(runDistill({ ...tiny(), losses: ['kl' as never] }), /invalid loss "kl": expected one of fkl, rkl, jsd, tvd, ce/);
    await assert.rejects(runDistill({ ...tiny(), steps: 0 }), /invalid steps: expected an integer >= 1, got 0/);
  });
});

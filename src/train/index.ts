// klscope/train: TF.js distillation losses, the Brown corpus, Kneser–Ney teacher, students (loads TensorFlow.js).
export { drawIndex } from '../random.js';
export { initTf } from './backend.js';
export type { BackendInfo } from './backend.js';
// every loss (and its option types): a new loss in losses.ts is exported without an edit here
export * from './losses.js';
export { ALPHABET, VOCAB_SIZE, encodeText, decodeText, cleanBrownTokens, loadBrown, brownDir } from './corpus.js';
export type { BrownSplit, LoadBrownOptions } from './corpus.js';
export { KneserNeyModel } from './kneserNey.js';
export type { KneserNeyOptions } from './kneserNey.js';
export { ContextStudent, trainStudent, LOSS_LABELS } from './student.js';
export type { StudentLoss, StudentData, TrainOptions, TrainedStudent } from './student.js';
export { evaluateTable, contextOptima, teacherHeldOutNll, modeStats } from './evaluate.js';
export type { EvalSet, StudentEvaluation, ContextOptima, ModeStats } from './evaluate.js';
export { sampleText, sampleNll, sampleReverseKl, distinctN } from './sample.js';
export type { NextToken } from './sample.js';
export { trainOnPolicy, OPD_ESTIMATORS, OPD_LABELS } from './onPolicy.js';
export type { OpdEstimator, OnPolicyData, OnPolicyOptions, OnPolicyStudent } from './onPolicy.js';
export { runDistill, distillPreset, distillFindings, contextId, DISTILL_LABELS, DISTILL_LIMITS } from './distill.js';
export type { DistillLoss, DistillOptions, DistillProgress, DistillResult, StudentReport, TeacherReport, Finding } from './distill.js';

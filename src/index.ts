// klscope's public API: named exports only, one line per module. Each area owns its block.

// errors and seeded randomness shared by every area
export { KlscopeError, UsageError, DataError } from './errors.js';
export { seededRandom } from './random.js';

// divergence: measures on rows and their gradients
export type { Row, Matrix, InputKind, Unit, MeasureOptions } from './divergence/types.js';
export { relEntr } from './divergence/relEntr.js';
export { logSumExp, logSoftmax, prepareRow } from './divergence/prepare.js';
export type { PreparedRow, PrepareOptions } from './divergence/prepare.js';
export { forwardKl, reverseKl, klDivergence } from './divergence/kl.js';
export { entropy, crossEntropy } from './divergence/entropy.js';
export { jsDivergence, jsDistance, generalizedJsd } from './divergence/jensenShannon.js';
export type { GeneralizedJsdOptions } from './divergence/jensenShannon.js';
export { totalVariation } from './divergence/totalVariation.js';
export { divergenceMeasures, divergenceRows, meanMeasures, MEASURE_KEYS } from './divergence/measures.js';
export type { Measures, RowMeasures, RowsResult, Rows } from './divergence/measures.js';
export { forwardKlGradient, reverseKlGradient, jsdGradient } from './divergence/gradients.js';
export type { GradientOptions } from './divergence/gradients.js';
export { toUnit, LN2 } from './divergence/units.js';

// io: readers and writers
export { readNpy, parseNpy, encodeNpy, parseNpyHeader } from './io/npy.js';
export type { NpyArray, NpyHeader } from './io/npy.js';
export { readMatrixArg } from './io/matrixArg.js';

// kernels (issue 3)
export { batchStats, batchStatsSync, availableBackends, closeWorkers, referenceBatchStats, createBatchStats } from './kernels/index.js';
export type { BackendName, BatchInput, BatchStats, BatchStatsOptions } from './kernels/index.js';
export { createWasmKernel } from './kernels/wasmKernel.js';
export type { WasmKernel } from './kernels/wasmKernel.js';
export { compareStats, accuracyCases, ACCURACY_RULE } from './kernels/accuracy.js';
export { runKernelBenchmark } from './kernels/bench.js';
export type { BenchResult, KernelBenchReport, KernelBenchOptions } from './kernels/bench.js';

// compare (issue 4)
export { KldFile, KldWriter, encodeKldRow, kldLayout, parseKldHeader, decodeKldValue, KLD_WINDOW } from './io/kld.js';
export type { KldHeader, KldWriterOptions } from './io/kld.js';
export { openNpyRows, FloatRowFile } from './io/npyRows.js';
export { openSafetensorsRows, parseSafetensorsHeader, encodeSafetensors } from './io/safetensors.js';
export type { SafetensorsHeader, SafetensorsEntry } from './io/safetensors.js';
export { readTokenIds } from './io/tokens.js';
export { compareFiles, checkKldPair, parseRowRange } from './compare/engine.js';
export type { CompareOptions, CompareRun, RowSink } from './compare/engine.js';
export { CompareAccumulator } from './compare/accumulator.js';
export type { CompareResult, CompareSummaryJson, RowBlock, WorstPosition, AccumulatorOptions } from './compare/accumulator.js';
export { ExactSum } from './compare/exactSum.js';
export { QuantileSketch } from './compare/sketch.js';
export { meanAndUncertainty, meanCovariance, sortedQuantile } from './compare/llamaStats.js';
export { coarsenTopk, coarsenedMeasures, parseTopkLine } from './compare/topk.js';
export { compareLive, checkVocabulary, planChunks } from './compare/live.js';
export type { ChunkPlan, LiveCompareOptions, LiveRun, LiveTiming } from './compare/live.js';
export { sideSpec } from './compare/sources.js';
export type { CompareFormat, LiveOptions, OpenedSource, SideOptions, SourceSpec } from './compare/types.js';
// compact references with certified bounds
export { KlrefFile, KlrefWriter, summarizeLogRow, roundKlrefRow, storedLogpError } from './io/klref.js';
export type { KlrefHeader, KlrefRow } from './io/klref.js';
export { rowBounds, exactMeasures, BoundsScratch } from './compare/bounds.js';
export type { CandidateRow, RowBoundsOut } from './compare/bounds.js';
export { BoundsAccumulator } from './compare/boundsStats.js';
export { compareReference } from './compare/referenceCompare.js';
export { openFileReferenceSource, writeReference } from './compare/referenceSource.js';
export type { ReferenceSource, ReferenceRowInput } from './compare/referenceSource.js';
export { detectFormat } from './compare/sources.js';
export { writeKldFixture, makeLogitPair } from './compare/fixtures.js';
export { createPerTokenWriter } from './report/perToken.js';
export { renderCompareHtml } from './report/compareHtml.js';
export { mergeSummaryFiles } from './compare/merge.js';

// train (issue 5)
export { initTf } from './train/backend.js';
export type { BackendInfo } from './train/backend.js';
export { forwardKlLoss, reverseKlLoss, jsdLoss, tvdLoss, crossEntropyLoss } from './train/losses.js';
export type { DivergenceLossOptions, LossReduction } from './train/losses.js';
export { ALPHABET, VOCAB_SIZE, encodeText, decodeText, cleanBrownTokens, loadBrown, brownDir } from './train/corpus.js';
export type { BrownSplit, LoadBrownOptions } from './train/corpus.js';
export { KneserNeyModel } from './train/kneserNey.js';
export type { KneserNeyOptions } from './train/kneserNey.js';
export { ContextStudent, trainStudent, LOSS_LABELS } from './train/student.js';
export type { StudentLoss, StudentData, TrainOptions, TrainedStudent } from './train/student.js';
export { evaluateTable, contextOptima, teacherHeldOutNll, modeStats } from './train/evaluate.js';
export type { EvalSet, StudentEvaluation, ContextOptima, ModeStats } from './train/evaluate.js';
export { sampleText, sampleNll, sampleReverseKl, distinctN } from './train/sample.js';
export type { NextToken } from './train/sample.js';
export { drawIndex } from './random.js';
export { trainOnPolicy, OPD_ESTIMATORS, OPD_LABELS } from './train/onPolicy.js';
export type { OpdEstimator, OnPolicyData, OnPolicyOptions, OnPolicyStudent } from './train/onPolicy.js';
export { runDistill, distillPreset, distillFindings, contextId, DISTILL_LABELS, DISTILL_LIMITS } from './train/distill.js';
export type { DistillLoss, DistillOptions, DistillProgress, DistillResult, StudentReport, TeacherReport, Finding } from './train/distill.js';

// fit (issue 6)
export { DEFAULT_MIXTURE, parseMixture, validateMixture, formatMixture, mixtureLogPdf, mixturePdf, mixtureLogPdfDerivatives, mixtureMoments } from './fit/mixture.js';
export type { GaussianComponent, Gaussian1d, Mixture, Moments, LogPdfDerivatives } from './fit/mixture.js';
export { mixtureEntropy, gaussianEntropy, crossEntropyToGaussian, forwardKlMixture, reverseKlMixture, forwardKlDerivatives, reverseKlDerivatives } from './fit/gaussianKl.js';
export type { KlDerivatives } from './fit/gaussianKl.js';
export { gaussRule, ruleFor } from './fit/quadrature.js';
export type { GaussRule } from './fit/quadrature.js';
export { fitForward, fitReverse, fitGaussian, descentPath, defaultPathStart, defaultStarts, GaussianDescent } from './fit/fit1d.js';
export type { FitDirection, GaussianFit, LocalOptimum, ReverseFit, FitReverseOptions, PathPoint, DescentOptions, FitResult } from './fit/fit1d.js';
export { DEFAULT_MIXTURE_2D, parseMixture2d, mixture2dLogPdf, mixture2dMoments, mixture2dEntropy, forwardKl2d, reverseKl2d, fit2d } from './fit/fit2d.js';
export type { GaussianComponent2d, Mixture2d, Gaussian2dFit, LocalOptimum2d, Fit2dResult } from './fit/fit2d.js';
export { TOKEN_EXAMPLE, tokenAxis, bumpLogits, studentProbs, fitTokenStudent, keptTokens } from './fit/tokens.js';
export type { TokenFit, TokenFitResult, TokenKeep } from './fit/tokens.js';
export { renderFitFigure, figureRange, isModeSeeking, FIGURE_COLORS, FIGURE_FONT } from './report/figure.js';
export type { FitFigureOptions, FitPanel } from './report/figure.js';
export { renderFit2dFigure } from './report/figure2d.js';
export type { Fit2dFigureOptions } from './report/figure2d.js';
export { svgToPng } from './report/figurePng.js';
export type { PngOptions } from './report/figurePng.js';
export { startServer, webDistDir } from './cli/serve.js';
export type { ServeOptions, RunningServer } from './cli/serve.js';

// text (issue 7)
export { loadTokenizer, TOKENIZERS } from './text/tokenize.js';
export type { Tokenizer, TokenizerName, TokenizerOptions } from './text/tokenize.js';
export { countNgrams, countNgramOrders, ngramTokens, NGRAM_SEP } from './text/ngrams.js';
export type { NgramCounts } from './text/ngrams.js';
export { parseSmoothing, smoothingLabel, addAlpha, kneserNey, neyDiscount, unionKeys } from './text/smoothing.js';
export type { Smoothing, KneserNeyResult } from './text/smoothing.js';
export { textDivergence, textPairs, ngramDistributions } from './text/textKl.js';
export type { TextDivergence, TextDivergenceOptions, NgramContribution, PairsDivergence } from './text/textKl.js';
export { KdTree } from './text/kdTree.js';
export type { Neighbours } from './text/kdTree.js';
export { knnKl, knnKlSets, sampleSet, digammaInt } from './text/knnKl.js';
export type { SampleSet } from './text/knnKl.js';
export { fitSampleGaussian, sampleGaussianKl, cholesky } from './text/gaussianFitKl.js';
export type { SampleGaussian } from './text/gaussianFitKl.js';
export { histogramKl } from './text/histogramKl.js';
export type { HistogramKl, HistogramOptions } from './text/histogramKl.js';
export { percentileInterval } from './text/bootstrap.js';
export { samplesDivergence } from './text/samplesKl.js';
export type { SamplesDivergence, SamplesOptions } from './text/samplesKl.js';
export { createRng } from './text/random.js';
export type { Rng } from './text/random.js';
export { gaussianSamples } from './text/gaussianSamples.js';
export { MonteCarloKl, klEstimatorTerms, ESTIMATORS } from './text/monteCarlo.js';
export type { MonteCarloResult, EstimatorStats, EstimatorName } from './text/monteCarlo.js';
export { estimatorGradients, sampleTerms, classifyGradient, gradientVerdict, randomDistribution, GRADIENT_ESTIMATORS, PLACEMENTS } from './text/estimatorGradients.js';
export type { GradientEstimator, Placement, GradientTarget, EstimatorGradientOptions, EstimatorGradientRow, EstimatorGradientResult, EstimatorMonteCarlo } from './text/estimatorGradients.js';
export { readCorpus, decodeUtf8Strict, firstInvalidUtf8 } from './io/textFiles.js';
export type { CorpusDocument, ReadCorpusOptions } from './io/textFiles.js';
export { readSampleMatrix, parseSampleCsv } from './io/sampleMatrix.js';
export { readLogprobJsonl, parseLogprobLine } from './io/logprobJsonl.js';
export type { LogprobSequence } from './io/logprobJsonl.js';

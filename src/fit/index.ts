// klscope/fit: fitting a Gaussian to a mixture both ways, in 1-D, 2-D and on tokens.
export { DEFAULT_MIXTURE, parseMixture, validateMixture, formatMixture, mixtureLogPdf, mixturePdf, mixtureLogPdfDerivatives, mixtureMoments } from './mixture.js';
export type { GaussianComponent, Gaussian1d, Mixture, Moments, LogPdfDerivatives } from './mixture.js';
export { FIT_PRESETS, presetMixture } from './presets.js';
export { mixtureEntropy, gaussianEntropy, crossEntropyToGaussian, forwardKlMixture, reverseKlMixture, forwardKlDerivatives, reverseKlDerivatives } from './gaussianKl.js';
export type { KlDerivatives } from './gaussianKl.js';
export { gaussRule, ruleFor } from './quadrature.js';
export type { GaussRule } from './quadrature.js';
export { fitForward, fitReverse, fitGaussian, descentPath, defaultPathStart, defaultStarts, GaussianDescent } from './fit1d.js';
export type { FitDirection, GaussianFit, LocalOptimum, ReverseFit, FitReverseOptions, PathPoint, DescentOptions, FitResult } from './fit1d.js';
export { DEFAULT_MIXTURE_2D, parseMixture2d, mixture2dLogPdf, mixture2dMoments, mixture2dEntropy, forwardKl2d, reverseKl2d, fit2d } from './fit2d.js';
export type { GaussianComponent2d, Mixture2d, Gaussian2dFit, LocalOptimum2d, Fit2dResult } from './fit2d.js';
export { TOKEN_EXAMPLE, tokenAxis, bumpLogits, studentProbs, fitTokenStudent, keptTokens } from './tokens.js';
export type { TokenFit, TokenFitResult, TokenKeep } from './tokens.js';

// klscope/report: per-token output, HTML report, figures (loads Observable Plot, linkedom and resvg).
export { createPerTokenWriter } from './perToken.js';
export { renderCompareHtml } from './compareHtml.js';
export { renderFitFigure, figureRange, isModeSeeking, FIGURE_COLORS, FIGURE_FONT } from './figure.js';
export type { FitFigureOptions, FitPanel } from './figure.js';
export { renderFit2dFigure } from './figure2d.js';
export type { Fit2dFigureOptions } from './figure2d.js';
export { svgToPng } from './figurePng.js';
export type { PngOptions } from './figurePng.js';

import { Resvg } from '@resvg/resvg-js';

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Output width in px; default twice the SVG's width (crisp on high-density screens). */
  width?: number;
}

/**
 * Rasterises an SVG string to PNG bytes with resvg (a Rust SVG renderer shipped as a prebuilt
 * npm binary: no browser). Text uses the system fonts; DejaVu Sans is the default family.
 *
 * @example
 * writeFileSync('fit.png', svgToPng(renderFitFigure(mix, fitGaussian(mix))));
 */
export function svgToPng(svg: string, opts: PngOptions = {}): Uint8Array {
  const m = /<svg[^>]*\swidth="([\d.]+)"/.exec(svg);
  const w = opts.width ?? Math.round(2 * (m ? Number(m[1]) : 800));
  const r = new Resvg(svg, {
    fitTo: { mode: 'width', value: w },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}

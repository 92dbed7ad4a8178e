import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHTML } from 'linkedom';
import { fitGaussian } from './fit1d.js';
import { parseMixture } from './mixture.js';
import { describeFit, fitStoryText } from './describe.js';
import { fitTable } from '../cli/fit.js';
import { FIT_PRESETS } from './presets.js';
import { renderFitFigure, type FitPanel } from '../report/figure.js';

function texts(svg: string): string[] {
  const { document } = parseHTML(`<!doctype html><html><body>${svg}</body></html>`);
  return Array.from(document.querySelectorAll('text'), (t) => t.textContent ?? '');
}

describe('one caption rule for the terminal and the figure', () => {
  const want: Record<string, { kind: string; reverse: RegExp }> = {
    separated: { kind: 'one-mode', reverse: /locks onto the mode at 3/ },
    close: { kind: 'agree', reverse: /agrees with the forward fit/ },
    uneven: { kind: 'shifted', reverse: /leans toward the mode at 2, narrower/ },
    three: { kind: 'some-modes', reverse: /spans the modes at 0 and 5, leaves out -4/ },
  };
  for (const [name, preset] of Object.entries(FIT_PRESETS)) {
    test(`preset ${name}: the rule reads the fitted numbers, and the figure says what the table says`, () => {
      const mix = parseMixture(preset.mix);
      const fit = fitGaussian(mix);
      const story = describeFit(mix, fit.forward, fit.reverse);
      assert.equal(story.kind, want[name]!.kind, JSON.stringify(story));
      const words = fitStoryText(story);
      assert.match(words.reverse, want[name]!.reverse);
      const table = fitTable(fit, mix, 'nats');
      assert.ok(table.includes(words.sentence), table);
      for (const panels of [['forward', 'reverse'], ['forward'], ['reverse']] as FitPanel[][]) {
        const t = texts(renderFitFigure(mix, fit, { panels }));
        if (panels.includes('reverse')) assert.ok(t.some((s) => s.endsWith(`: ${words.reverse}`)), t.join(' | '));
        if (panels.includes('forward')) assert.ok(t.some((s) => s.endsWith(`: ${words.forward}`)), t.join(' | '));
        if (panels.length === 2) assert.ok(t.includes(`One Gaussian Q fitted to a mixture P: ${words.headline}`), t.join(' | '));
        // no caption of another kind sneaks in
        if (story.kind !== 'agree') assert.ok(!t.some((s) => /directions agree|nearly the same Q/.test(s)), t.join(' | '));
        if (story.kind !== 'one-mode') assert.ok(!t.some((s) => /locks onto|settles on one mode/.test(s)), t.join(' | '));
      }
    });
  }
  test('the README example --mix "0.3:-2:0.5,0.7:2:1.5" does not say the directions agree', () => {
    const mix = parseMixture('0.3:-2:0.5,0.7:2:1.5');
    const table = fitTable(fitGaussian(mix), mix, 'nats');
    assert.match(table, /reverse KL moves 0\.24 forward σ toward the mode at 2 and is 13% narrower/);
    assert.doesNotMatch(table, /too close/);
  });
});

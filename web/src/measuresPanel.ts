import { divergenceMeasures, MEASURE_KEYS, type Measures } from '../../src/divergence/measures.js';
import { KlscopeError } from '../../src/errors.js';
import { MEASURE_LABELS as LABELS, measureName } from '../../src/report/labels.js';
import { formatNumber } from '../../src/report/format.js';
import { byId, units } from './state.js';


const START = { p: [0.5, 0.3, 0.2], q: [0.4, 0.4, 0.2] };
const NAMES = ['A', 'B', 'C'];

/** Panel 3: the explainer's example with editable values and every measure of `klscope kl`. */
export function setupMeasuresPanel(): void {
  const form = byId<HTMLFormElement>('measures-form');
  const rows: { key: 'p' | 'q'; title: string }[] = [
    { key: 'p', title: 'P, the reference' },
    { key: 'q', title: 'Q, the model' },
  ];
  const html: string[] = [];
  for (const r of rows) {
    html.push(`<fieldset><legend>${r.title} <span class="sum" id="${r.key}-sum"></span></legend>`);
    START[r.key].forEach((v, i) => {
      const id = `${r.key}${i}`;
      html.push(
        `<div class="pq-row"><label for="${id}">${r.key}(${NAMES[i]})</label>` +
          `<input type="range" id="${id}" min="0" max="1" step="0.01" value="${v}" />` +
          `<input type="number" id="${id}-num" min="0" max="1" step="0.01" value="${v}" aria-label="${r.key}(${NAMES[i]}) exact value" /></div>`,
      );
    });
    html.push('</fieldset>');
  }
  html.push(
    '<label class="check"><input type="checkbox" id="measures-normalize" checked /> normalize rows that do not sum to 1 (<code>normalize: true</code>, CLI <code>--normalize</code>)</label>',
    '<div class="buttons"><button type="button" id="measures-reset">Reset to the explainer\'s example</button></div>',
  );
  form.innerHTML = html.join('');
  const table = byId<HTMLTableElement>('measures-table');
  const err = byId('measures-error');
  const call = byId('measures-call');
  const norm = byId<HTMLInputElement>('measures-normalize');
  const read = (key: 'p' | 'q') =>
    START[key].map((_, i) => {
      const t = byId<HTMLInputElement>(`${key}${i}-num`).value.trim();
      return t === '' ? NaN : Number(t);
    });

  function render(): void {
    const p = read('p');
    const q = read('q');
    const unit = units.get();
    const normalize = norm.checked;
    for (const k of ['p', 'q'] as const) {
      const s = read(k).reduce((a, b) => a + b, 0);
      byId(`${k}-sum`).textContent = `(sum ${formatNumber(s, 4)})`;
    }
    call.textContent = `divergenceMeasures([${p.join(', ')}], [${q.join(', ')}], { unit: '${unit}'${normalize ? ', normalize: true' : ''} })`;
    let m: Measures | undefined;
    try {
      m = divergenceMeasures(p, q, { unit, normalize });
      err.textContent = '';
    } catch (e) {
      if (!(e instanceof KlscopeError)) throw e;
      err.textContent = e.message;
    }
    const head = `<thead><tr><th scope="col">measure</th><th scope="col">meaning</th><th scope="col" class="r">value (${unit})</th></tr></thead>`;
    const body = MEASURE_KEYS.map((k) => {
      const v = m ? m[k] : NaN;
      return `<tr><th scope="row">${LABELS[k].symbol}</th><td>${measureName(k, units.get())}</td><td class="r" data-measure="${k}" data-value="${m ? String(v) : ''}">${m ? formatNumber(v, 10) : '—'}</td></tr>`;
    }).join('');
    table.innerHTML = head + `<tbody>${body}</tbody>`;
    table.dataset.unit = unit;
  }

  // the number boxes hold the values the library sees (typed values may leave [0, 1] and are
  // then refused by the library with its own message); the sliders follow them
  for (const k of ['p', 'q'] as const) {
    START[k].forEach((_, i) => {
      const range = byId<HTMLInputElement>(`${k}${i}`);
      const num = byId<HTMLInputElement>(`${k}${i}-num`);
      range.addEventListener('input', () => {
        num.value = range.value;
        render();
      });
      num.addEventListener('input', () => {
        const v = Number(num.value);
        if (num.value.trim() !== '' && v >= 0 && v <= 1) range.value = num.value;
        render();
      });
    });
  }
  norm.addEventListener('change', render);
  byId('measures-reset').addEventListener('click', () => {
    for (const k of ['p', 'q'] as const) {
      START[k].forEach((v, i) => {
        byId<HTMLInputElement>(`${k}${i}`).value = String(v);
        byId<HTMLInputElement>(`${k}${i}-num`).value = String(v);
      });
    }
    norm.checked = true;
    render();
  });
  units.onChange(render);
  render();
}

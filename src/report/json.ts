/**
 * JSON for the CLI's `--json`: one document, non-finite numbers written as the strings
 * "Infinity", "-Infinity" (and "NaN", which klscope's rules should never let through).
 *
 * @example
 * toJson({ forward: Infinity }); // '{\n  "forward": "Infinity"\n}'
 */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      if (v instanceof Float64Array || v instanceof Float32Array || v instanceof Int32Array) return Array.from(v);
      return v;
    },
    indent,
  );
}

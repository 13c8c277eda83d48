// Value helpers shared by widget kinds (elements/widgets/): number ranges for
// slider and number_input, option lists for selectbox and radio.

function decimalsOf(step) {
  if (!(step > 0) || !Number.isFinite(step)) return null;
  const text = String(step);
  const exp = text.match(/e-(\d+)$/);
  if (exp) return Math.min(20, Number(exp[1]) + (text.split('e')[0].split('.')[1]?.length ?? 0));
  return Math.min(20, text.split('.')[1]?.length ?? 0);
}

/** `value` as the range's step shows it (whole numbers for integer ranges). */
export function formatNumber(value, range) {
  if (range.integer) return String(Math.round(value));
  const decimals = decimalsOf(range.step);
  return decimals === null ? String(value) : value.toFixed(decimals);
}

/** Sets an <input>'s min, max and step from a NumberRange. */
export function applyRange(input, range) {
  for (const bound of ['min', 'max']) {
    if (Number.isFinite(range[bound])) input[bound] = String(range[bound]);
    else input.removeAttribute(bound);
  }
  if (range.integer) input.step = String(Math.max(1, Math.round(range.step) || 1));
  else input.step = range.step > 0 && Number.isFinite(range.step) ? String(range.step) : 'any';
}

/** A plain copy, so a control does not keep a whole received message alive. */
export function copyRange(r) {
  return { value: r.value, min: r.min, max: r.max, step: r.step, integer: r.integer };
}

/** The input's number clamped to the range, or null when it holds none. */
export function readNumber(input, range) {
  let value = input.valueAsNumber;
  if (!Number.isFinite(value)) return null;
  if (range.integer) value = Math.round(value);
  if (Number.isFinite(range.min)) value = Math.max(range.min, value);
  if (Number.isFinite(range.max)) value = Math.min(range.max, value);
  return value;
}

export function sameOptions(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

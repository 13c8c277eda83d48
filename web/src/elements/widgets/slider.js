// st::slider: a native range input with its value shown beside it; the value
// is sent when the viewer lets go.
import { Widget } from '../../../generated/page.js';
import { labelFor, make, trackEditing, uniqueId } from '../../dom.js';
import { applyRange, copyRange, formatNumber, readNumber } from '../../widget_values.js';

export const member = Widget.SLIDER;

export function create(widget, { signal, send }) {
  const node = make('div', 'widget widget-slider');
  const control = make('input');
  control.type = 'range';
  control.id = uniqueId('slider');
  const label = labelFor(control, '');
  const shown = make('span', 'slider-value');
  const row = make('div', 'slider-row');
  row.append(control, shown);
  node.append(label, row);
  const edit = trackEditing(control, signal);
  let range = null;
  control.addEventListener(
    'input',
    () => {
      const value = readNumber(control, range);
      if (value !== null) shown.textContent = formatNumber(value, range);
    },
    { signal },
  );
  control.addEventListener(
    'change',
    () => {
      edit.committed();
      const value = readNumber(control, range);
      if (value !== null) send({ number: value });
    },
    { signal },
  );
  const view = {
    node,
    update(w) {
      label.textContent = w.label;
      range = copyRange(w.slider);
      if (edit.editing()) return;
      applyRange(control, range);
      control.value = String(range.value);
      shown.textContent = formatNumber(range.value, range);
    },
  };
  view.update(widget);
  return view;
}

// st::number_input: a native number input (a spinbutton); an entry outside
// the range is clamped, an unreadable one put back.
import { Widget } from '../../../generated/page.js';
import { labelFor, make, trackEditing, uniqueId } from '../../dom.js';
import { applyRange, copyRange, formatNumber, readNumber } from '../../widget_values.js';

export const member = Widget.NUMBER_INPUT;

export function create(widget, { signal, send }) {
  const node = make('div', 'widget widget-number');
  const control = make('input');
  control.type = 'number';
  control.id = uniqueId('number');
  const label = labelFor(control, '');
  node.append(label, control);
  const edit = trackEditing(control, signal);
  let range = null;
  control.addEventListener(
    'change',
    () => {
      edit.committed();
      const value = readNumber(control, range);
      if (value === null) {
        control.value = formatNumber(range.value, range);
        return;
      }
      control.value = formatNumber(value, range);
      send({ number: value });
    },
    { signal },
  );
  const view = {
    node,
    update(w) {
      label.textContent = w.label;
      range = copyRange(w.numberInput);
      if (edit.editing()) return;
      applyRange(control, range);
      control.value = range.integer ? String(Math.round(range.value)) : String(range.value);
    },
  };
  view.update(widget);
  return view;
}

// st::checkbox: a native checkbox inside its label.
import { Widget } from '../../../generated/page.js';
import { make } from '../../dom.js';

export const member = Widget.CHECKBOX;

export function create(widget, { signal, send }) {
  const node = make('label', 'widget widget-checkbox');
  const control = make('input');
  control.type = 'checkbox';
  const text = make('span');
  control.addEventListener('change', () => send({ checked: control.checked }), { signal });
  node.append(control, text);
  const view = {
    node,
    update(w) {
      text.textContent = w.label;
      control.checked = w.checkbox;
    },
  };
  view.update(widget);
  return view;
}

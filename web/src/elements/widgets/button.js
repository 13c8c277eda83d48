// st::button: a click is a one-run `true`.
import { Widget } from '../../../generated/page.js';
import { make } from '../../dom.js';

export const member = Widget.BUTTON;

export function create(widget, { signal, send }) {
  const node = make('div', 'widget widget-button');
  const control = make('button');
  control.type = 'button';
  control.addEventListener('click', () => send({ clicked: true }), { signal });
  node.append(control);
  const view = {
    node,
    update(w) {
      control.textContent = w.label;
    },
  };
  view.update(widget);
  return view;
}

// st::selectbox: a native <select> (a combobox); options are rebuilt only
// when they change.
import { Widget } from '../../../generated/page.js';
import { labelFor, make, uniqueId } from '../../dom.js';
import { sameOptions } from '../../widget_values.js';

export const member = Widget.SELECTBOX;

export function create(widget, { signal, send }) {
  const node = make('div', 'widget widget-select');
  const control = make('select');
  control.id = uniqueId('select');
  const label = labelFor(control, '');
  node.append(label, control);
  let options = [];
  control.addEventListener('change', () => send({ index: control.selectedIndex }), { signal });
  const view = {
    node,
    update(w) {
      label.textContent = w.label;
      const choice = w.selectbox;
      const next = choice.options.toArray();
      if (!sameOptions(options, next)) {
        options = next;
        control.replaceChildren(...next.map((text) => make('option', null, text)));
      }
      control.selectedIndex = choice.index < next.length ? choice.index : -1;
    },
  };
  view.update(widget);
  return view;
}

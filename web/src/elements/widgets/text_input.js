// st::text_input: a native text box; the text is sent on commit (Enter or
// leaving the box).
import { Widget } from '../../../generated/page.js';
import { labelFor, make, trackEditing, uniqueId } from '../../dom.js';

export const member = Widget.TEXT_INPUT;

export function create(widget, { signal, send }) {
  const node = make('div', 'widget widget-text');
  const control = make('input');
  control.type = 'text';
  control.id = uniqueId('text');
  control.autocomplete = 'off';
  const label = labelFor(control, '');
  node.append(label, control);
  const edit = trackEditing(control, signal);
  control.addEventListener(
    'change',
    () => {
      edit.committed();
      send({ text: control.value });
    },
    { signal },
  );
  const view = {
    node,
    update(w) {
      label.textContent = w.label;
      if (!edit.editing()) control.value = w.textInput;
    },
  };
  view.update(widget);
  return view;
}

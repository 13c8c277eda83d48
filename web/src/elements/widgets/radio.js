// st::radio: a labelled radiogroup of native radio buttons; the buttons are
// rebuilt only when the options change.
import { Widget } from '../../../generated/page.js';
import { make, uniqueId } from '../../dom.js';
import { sameOptions } from '../../widget_values.js';

export const member = Widget.RADIO;

export function create(widget, { signal, send }) {
  const node = make('fieldset', 'widget widget-radio');
  node.setAttribute('role', 'radiogroup');
  const legend = make('legend', 'widget-label');
  legend.id = uniqueId('legend');
  node.setAttribute('aria-labelledby', legend.id);
  const list = make('div', 'radio-options');
  node.append(legend, list);
  const group = uniqueId('radio');
  let options = [];
  let inputs = [];
  // The listeners of the current buttons, removed with them.
  let buttons = null;
  signal.addEventListener('abort', () => buttons?.abort(), { once: true });
  const view = {
    node,
    update(w) {
      legend.textContent = w.label;
      const choice = w.radio;
      const next = choice.options.toArray();
      if (!sameOptions(options, next)) {
        options = next;
        buttons?.abort();
        buttons = new AbortController();
        const { signal: listening } = buttons;
        inputs = next.map((text, index) => {
          const input = make('input');
          input.type = 'radio';
          input.name = group;
          input.addEventListener(
            'change',
            () => {
              if (input.checked) send({ index });
            },
            { signal: listening },
          );
          const option = make('label', 'radio-option');
          option.append(input, make('span', null, text));
          return input;
        });
        list.replaceChildren(...inputs.map((input) => input.parentNode));
      }
      inputs.forEach((input, index) => {
        input.checked = index === choice.index;
      });
    },
  };
  view.update(widget);
  return view;
}

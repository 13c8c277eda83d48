// A cached function computing: its spinner text, announced politely to
// screen readers.
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.SPINNER;

export function create(element) {
  const node = make('div', 'cache-spinner');
  node.setAttribute('role', 'status');
  const text = make('span', 'cache-spinner-text', element.spinner);
  node.append(make('span', 'spinner'), text);
  return {
    node,
    update(e) {
      text.textContent = e.spinner;
    },
  };
}

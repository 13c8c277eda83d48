// st::text: preformatted plain text.
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.TEXT;

export function create(element) {
  const node = make('div', 'text', element.text);
  return {
    node,
    update(e) {
      node.textContent = e.text;
    },
  };
}

// st::header: a section heading.
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.HEADER;

export function create(element) {
  const node = make('h2', null, element.header);
  return {
    node,
    update(e) {
      node.textContent = e.header;
    },
  };
}

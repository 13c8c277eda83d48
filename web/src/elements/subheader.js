// st::subheader: a smaller section heading.
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.SUBHEADER;

export function create(element) {
  const node = make('h3', null, element.subheader);
  return {
    node,
    update(e) {
      node.textContent = e.subheader;
    },
  };
}

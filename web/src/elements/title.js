// st::title: the page's heading.
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.TITLE;

export function create(element) {
  const node = make('h1', null, element.title);
  return {
    node,
    update(e) {
      node.textContent = e.title;
    },
  };
}

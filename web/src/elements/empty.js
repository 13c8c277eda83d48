// st::empty() before it is set, and an ended st::spinner's place: a
// position that shows nothing (it still counts, so what follows keeps its
// place).
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.EMPTY;

export function create() {
  const node = make('div', 'empty');
  node.hidden = true;
  return { node, update() {} };
}

// st::columns: side-by-side columns, each a container (path p ++ [column]).
// A different count is a different layout: update() refuses it and the
// element is rebuilt.
import { Element } from '../../generated/page.js';
import { Container } from '../container.js';
import { make } from '../dom.js';

export const member = Element.COLUMNS;

export function create(element) {
  const count = element.columns;
  const node = make('div', 'columns');
  const children = [];
  for (let c = 0; c < count; c++) {
    const column = make('div', 'column');
    node.append(column);
    children.push(new Container(column));
  }
  return { node, children, update: (e) => e.columns === count };
}

// st::divider: a horizontal rule.
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.DIVIDER;

export function create() {
  return { node: make('hr'), update() {} };
}

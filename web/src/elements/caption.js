// st::caption: small, muted plain text under other content.
import { Element } from '../../generated/page.js';
import { adoptStyle, make } from '../dom.js';

export const member = Element.CAPTION;

export function create(element) {
  adoptStyle('.caption { font-size: 0.875rem; color: var(--muted); }');
  const node = make('div', 'caption', element.caption);
  return {
    node,
    update(e) {
      node.textContent = e.caption;
    },
  };
}

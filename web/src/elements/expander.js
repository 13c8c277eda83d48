// st::expander: a <details> whose body is one container (path p ++ [0]).
// `expanded` is the app's initial state; the viewer's toggling wins until
// the app asks for a different state.
import { Element } from '../../generated/page.js';
import { Container } from '../container.js';
import { make } from '../dom.js';

export const member = Element.EXPANDER;

export function create(element) {
  const node = make('details', 'expander');
  const summary = make('summary', null, element.expander.label);
  const body = make('div', 'expander-body');
  node.append(summary, body);
  let wanted = element.expander.expanded;
  node.open = wanted;
  return {
    node,
    children: [new Container(body)],
    update(e) {
      summary.textContent = e.expander.label;
      if (e.expander.expanded !== wanted) {
        wanted = e.expander.expanded;
        node.open = wanted;
      }
    },
  };
}

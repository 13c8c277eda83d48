// st::error, st::warning, st::info, st::success: a colored box. An error is
// announced at once (role="alert"); the others are read in turn.
import { Element, Element_Alert_Kind as AlertKind } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.ALERT;

const toneOf = {
  [AlertKind.ERROR]: 'error',
  [AlertKind.WARNING]: 'warning',
  [AlertKind.INFO]: 'info',
  [AlertKind.SUCCESS]: 'success',
};

export function create(element) {
  const node = make('div', 'alert');
  let tone = null;
  const update = (e) => {
    const { kind, body } = e.alert;
    if (tone) node.classList.remove(`alert-${tone}`);
    tone = toneOf[kind] ?? 'info';
    node.classList.add(`alert-${tone}`);
    node.textContent = body;
    if (kind === AlertKind.ERROR) node.setAttribute('role', 'alert');
    else node.removeAttribute('role');
  };
  update(element);
  return { node, update };
}

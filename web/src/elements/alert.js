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
  const { kind, body } = element.alert;
  node.classList.add(`alert-${toneOf[kind] ?? 'info'}`);
  // Set before the text, so that a screen reader announces it.
  if (kind === AlertKind.ERROR) node.setAttribute('role', 'alert');
  node.textContent = body;
  return {
    node,
    // Another kind is a new box: role="alert" added to text already shown
    // may not be announced.
    update(e) {
      if (e.alert.kind !== kind) return false;
      node.textContent = e.alert.body;
      return true;
    },
  };
}

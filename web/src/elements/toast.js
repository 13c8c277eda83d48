// st::toast: a short notice over the page's corner. The element keeps its
// position (showing nothing there); each delta the page gets is one notice
// in the page's toast stack (#toasts), which outlives the element: a run
// that moves on does not cut it short.
//
// Accessible: role="status" (announced politely, never interrupting), the
// text filled in after the node is in the page so that screen readers
// notice the change; it stays while the pointer is on it or focus is in it
// (WCAG 2.2.1, enough time), and a Dismiss button (or Escape inside it)
// takes it away at once.
import { Element } from '../../generated/page.js';
import { adoptStyle, make } from '../dom.js';

export const member = Element.TOAST;

const TOAST_MS = 4000;

const STYLE = `
.app-toast { display: flex; align-items: flex-start; gap: 0.5rem; }
.app-toast .toast-text { flex: 1 1 auto; overflow-wrap: anywhere; }
.app-toast .toast-close {
  flex: none; border: 0; background: none; cursor: pointer; font-size: 1.1rem; line-height: 1;
  color: var(--muted); padding: 0 0.2rem;
}
.app-toast .toast-close:hover { color: var(--accent); }
`;

function stack() {
  let node = document.getElementById('toasts');
  if (!node) {
    node = make('div', 'toasts');
    node.id = 'toasts';
    document.body.append(node);
  }
  return node;
}

function showToast({ text, icon }) {
  const toast = make('div', 'toast app-toast');
  toast.setAttribute('role', 'status');
  toast.setAttribute('aria-live', 'polite');
  toast.setAttribute('aria-atomic', 'true');
  const body = make('span', 'toast-text');
  const close = make('button', 'toast-close', '×');
  close.type = 'button';
  close.setAttribute('aria-label', 'Dismiss');
  if (icon) {
    const mark = make('span', 'toast-icon', icon);
    mark.setAttribute('aria-hidden', 'true');
    toast.append(mark);
  }
  toast.append(body, close);
  stack().append(toast);
  setTimeout(() => {
    body.textContent = text;
  }, 0);

  let timer = null;
  let held = 0; // pointer on it, focus in it
  const remove = () => {
    clearTimeout(timer);
    toast.remove();
  };
  const arm = () => {
    clearTimeout(timer);
    if (held === 0) timer = setTimeout(remove, TOAST_MS);
  };
  const hold = () => {
    held += 1;
    clearTimeout(timer);
  };
  const release = () => {
    held = Math.max(0, held - 1);
    arm();
  };
  toast.addEventListener('mouseenter', hold);
  toast.addEventListener('mouseleave', release);
  toast.addEventListener('focusin', hold);
  toast.addEventListener('focusout', release);
  toast.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') remove();
  });
  close.addEventListener('click', remove);
  arm();
}

export function create(element) {
  adoptStyle(STYLE);
  const node = make('div', 'toast-place');
  node.hidden = true;
  showToast({ text: element.toast.text, icon: element.toast.icon });
  return { node };
}

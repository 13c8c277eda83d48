// st::markdown. markdown-it is loaded lazily (../markdown.js, a chunk of its
// own): a page without markdown never fetches it. Until it has arrived an
// element shows its source as plain text, then the same node is rendered in
// place; once loaded, every later element renders at once.
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.MARKDOWN;

let render = null; // renderMarkdown(node, source), once loaded
let loading = null;

function load() {
  loading ??= import('../markdown.js').then(
    (module) => {
      render = module.renderMarkdown;
    },
    (err) => {
      loading = null; // the next markdown element tries again
      throw err;
    },
  );
  return loading;
}

export function create(element) {
  const node = make('div', 'markdown');
  let source = element.markdown;
  let disposed = false;
  const show = () => {
    if (render) render(node, source);
    else node.textContent = source;
  };
  show();
  if (!render) {
    load().then(
      () => {
        if (!disposed) show();
      },
      (err) => console.error('sluice: could not load the markdown renderer:', err),
    );
  }
  return {
    node,
    update(e) {
      source = e.markdown;
      show();
    },
    dispose() {
      disposed = true;
    },
  };
}

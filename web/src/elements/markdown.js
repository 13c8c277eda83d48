// st::markdown. markdown-it sits in a chunk of its own (../markdown.js), so
// app.js stays small; its fetch starts as the page starts (every page, on
// purpose, whether or not it shows markdown), beside the WebSocket's connect,
// so it has usually arrived before the first run does. If it has not, an
// element shows its source as plain text until it arrives, then the same
// node is rendered in place. A failed load (the server was down, say for a
// redeploy) is tried again by the next create or update of a markdown
// element. (A chunk a redeploy deleted stays missing: that needs a reload.)
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

load().catch((err) => console.error('sluice: could not load the markdown renderer:', err));

export function create(element) {
  const node = make('div', 'markdown');
  let source = element.markdown;
  let disposed = false;
  let waiting = false;
  const show = () => {
    if (render) {
      render(node, source);
      return;
    }
    node.textContent = source;
    if (waiting) return;
    waiting = true;
    load().then(
      () => {
        waiting = false;
        if (!disposed) show();
      },
      (err) => {
        waiting = false;
        console.error('sluice: could not load the markdown renderer:', err);
      },
    );
  };
  show();
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

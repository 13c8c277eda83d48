// st::json: a JSON document as a tree. Every object and array is a native
// <details>/<summary>, so the keyboard (Tab, Enter, Space) and screen
// readers (expanded / collapsed) work without scripting. Keys and values
// are coloured by type; strings are shown quoted, as JSON writes them.
// Everything is set as text (textContent), never as HTML.
//
// The worker checked the text (runtime/st_json.cc). Numbers are shown as
// written: JSON.parse's reviver gets each number's source text
// (context.source, Chromium 114+), so 12345678901234567890 is not shown
// rounded to 12345678901234567000; a browser without it shows the parsed
// number. Object keys are shown in JavaScript's order, which puts
// integer-like keys ("10") first, whatever their place in the text.
//
// Only what is open is built: a closed node builds its children when first
// opened, and opening everything is a loop, not recursion, so a deep
// document costs no stack. `expanded` opens at most OPEN_DEPTH levels; the
// ones below start closed (a viewer opens them).
import { Element } from '../../generated/page.js';
import { adoptStyle, make } from '../dom.js';

export const member = Element.JSON;

const OPEN_DEPTH = 100;

// Contrast on white / on the sidebar (#f0f2f6), all >= 4.5:1 (WCAG AA).
const STYLE = `
.json { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.875rem; overflow-wrap: anywhere; }
.json-children { padding-left: 1.25rem; border-left: 1px solid var(--border); margin-left: 0.3rem; }
.json summary { cursor: pointer; }
.json summary:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.json details[open] > summary .json-closed { display: none; }
.json-leaf { padding-left: 1rem; }
.json-key { color: #0451a5; }
.json-index, .json-punct, .json-count { color: var(--muted); }
.json-string { color: #a31515; }
.json-number { color: #0b7a3e; }
.json-boolean, .json-null { color: #9c27b0; }
`;

// A number as written in the document (see above).
class NumberText {
  constructor(source) {
    this.source = source;
  }
}

function parse(text) {
  try {
    return JSON.parse(text, (key, value, context) =>
      typeof value === 'number' && typeof context?.source === 'string' ? new NumberText(context.source) : value,
    );
  } catch (err) {
    // The reviver walks the parsed value recursively: a document too deep
    // for it is read again without one.
    if (err instanceof RangeError) return JSON.parse(text);
    throw err;
  }
}

const isContainer = (value) => value !== null && typeof value === 'object' && !(value instanceof NumberText);

function leafValue(value) {
  if (value instanceof NumberText) return make('span', 'json-number', value.source);
  if (value === null) return make('span', 'json-null', 'null');
  switch (typeof value) {
    case 'string':
      return make('span', 'json-string', JSON.stringify(value));
    case 'number':
      return make('span', 'json-number', String(value));
    default:
      return make('span', 'json-boolean', String(value));
  }
}

// `"key": ` for an object's member, `0: ` for an array's item, nothing for the root.
function keyNodes(key) {
  if (key === undefined) return [];
  if (typeof key === 'number') return [make('span', 'json-index', String(key)), make('span', 'json-punct', ': ')];
  return [make('span', 'json-key', JSON.stringify(key)), make('span', 'json-punct', ': ')];
}

function countText(value) {
  const n = Array.isArray(value) ? value.length : Object.keys(value).length;
  if (Array.isArray(value)) return n === 1 ? '1 item' : `${n} items`;
  return n === 1 ? '1 key' : `${n} keys`;
}

/**
 * Renders `value` into a .json node. `expanded`: open every level (to
 * OPEN_DEPTH); otherwise only the top one. `signal` removes the listeners
 * that build closed nodes on first open.
 */
function render(value, expanded, signal) {
  const pending = []; // [children node, value, depth] still to fill

  // One line (a leaf) or a <details> (an object or array) for `key`: value.
  const nodeFor = (key, item, depth) => {
    if (!isContainer(item)) {
      const line = make('div', 'json-leaf');
      line.append(...keyNodes(key), leafValue(item));
      return line;
    }
    const [open, close] = Array.isArray(item) ? ['[', ']'] : ['{', '}'];
    const details = make('details', 'json-node');
    const summary = make('summary');
    const closed = make('span', 'json-closed');
    closed.append(make('span', 'json-punct', ` … ${close} `), make('span', 'json-count', countText(item)));
    summary.append(...keyNodes(key), make('span', 'json-punct', open), closed);
    const children = make('div', 'json-children');
    details.append(summary, children, make('div', 'json-punct', close));
    if (depth === 0 || (expanded && depth < OPEN_DEPTH)) {
      details.open = true;
      pending.push([children, item, depth]);
    } else {
      details.addEventListener(
        'toggle',
        () => {
          pending.push([children, item, depth]);
          drain();
        },
        { once: true, signal },
      );
    }
    return details;
  };

  const drain = () => {
    while (pending.length > 0) {
      const [children, item, depth] = pending.pop();
      const entries = Array.isArray(item) ? item.map((v, i) => [i, v]) : Object.entries(item);
      for (const [key, child] of entries) children.append(nodeFor(key, child, depth + 1));
    }
  };

  const root = nodeFor(undefined, value, 0);
  drain();
  return root;
}

export function create(element, ctx) {
  adoptStyle(STYLE);
  const node = make('div', 'json');
  const { text, expanded } = element.json;
  try {
    node.append(render(parse(text), expanded, ctx?.signal));
  } catch (err) {
    // The worker sends only valid JSON; this is for one that did not.
    node.classList.add('json-unreadable');
    node.textContent = `This JSON could not be shown: ${err.message}`;
  }
  return {
    node,
    // The same document keeps its node and what the viewer opened; another
    // one is built afresh.
    update: (e) => e.json.text === text && e.json.expanded === expanded,
  };
}

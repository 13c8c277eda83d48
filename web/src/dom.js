// DOM helpers every element kind shares (web/src/elements/): creating nodes,
// labelling controls, the "viewer is editing" test widgets need, and a
// kind's own CSS.
let nextId = 0;

/** A unique id for a node (`sluice-<prefix>-<n>`), for label/aria links. */
export function uniqueId(prefix) {
  nextId += 1;
  return `sluice-${prefix}-${nextId}`;
}

/** A new `tag` with an optional class and text. */
export function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A <label> for `control` (which must have an id) saying `text`. */
export function labelFor(control, text) {
  const label = make('label', 'widget-label');
  label.htmlFor = control.id;
  label.textContent = text;
  return label;
}

/**
 * Tracks "typed or dragged, not yet committed" so a rerun does not yank the
 * value out from under the viewer. `signal` removes the listener (the
 * element's AbortSignal, ctx.signal: see kinds.js).
 */
export function trackEditing(control, signal) {
  let dirty = false;
  control.addEventListener(
    'input',
    () => {
      dirty = true;
    },
    { signal },
  );
  return {
    committed() {
      dirty = false;
    },
    editing() {
      return dirty && document.activeElement === control;
    },
  };
}

const adopted = new Set();

/**
 * Adds a kind's own CSS rules to the page, once however often it is called:
 * call it from create(), so that a kind's look can live in its module (the
 * page's shared look stays in style.css). The rules come after style.css.
 */
export function adoptStyle(css) {
  if (adopted.has(css)) return;
  adopted.add(css);
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

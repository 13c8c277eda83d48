// Applies RunUpdates to the DOM.
//
// Elements live in containers addressed by paths (see RunUpdate in
// ipc/page.capnp): [0, i] is the i-th element of the main area, [1, i] of the
// sidebar; a block element at p owns its containers at p ++ [c] (columns: one
// per column; expander: one).
//
// A Container mirrors one DOM node and keeps one Slot per element, in order.
// A Slot whose kind is unchanged by a delta is updated in place (blocks keep
// their children, widgets keep focus); otherwise it is replaced whole.
import { Element, Element_Alert_Kind as AlertKind } from '../generated/page.js';
import { renderMarkdown } from './markdown.js';
import { createWidget } from './widgets.js';

class Container {
  constructor(node) {
    this.node = node;
    this.slots = [];
  }

  truncate(length) {
    for (const slot of this.slots.splice(length)) slot.node.remove();
  }
}

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const alertClass = {
  [AlertKind.ERROR]: 'error',
  [AlertKind.WARNING]: 'warning',
  [AlertKind.INFO]: 'info',
  [AlertKind.SUCCESS]: 'success',
};

// The identity a slot must keep to be updated in place rather than rebuilt.
function kindOf(element) {
  switch (element.which()) {
    case Element.COLUMNS:
      return `columns:${element.columns}`;
    case Element.EXPANDER:
      return 'expander';
    case Element.WIDGET:
      return `widget:${element.widget.which()}`;
    default:
      return `leaf:${element.which()}`;
  }
}

function leafNode(element) {
  switch (element.which()) {
    case Element.TITLE:
      return make('h1', 'element', element.title);
    case Element.HEADER:
      return make('h2', 'element', element.header);
    case Element.SUBHEADER:
      return make('h3', 'element', element.subheader);
    case Element.MARKDOWN: {
      const node = renderMarkdown(element.markdown);
      node.classList.add('element');
      return node;
    }
    case Element.TEXT:
      return make('div', 'element text', element.text);
    case Element.CODE: {
      const { source, language } = element.code;
      const pre = make('pre', 'element code');
      const code = make('code', null, source);
      if (/^[A-Za-z0-9_+-]{1,32}$/.test(language)) code.className = `language-${language}`;
      pre.append(code);
      return pre;
    }
    case Element.ALERT: {
      const { kind, body } = element.alert;
      const node = make('div', `element alert alert-${alertClass[kind] ?? 'info'}`, body);
      if (kind === AlertKind.ERROR) node.setAttribute('role', 'alert');
      return node;
    }
    case Element.DIVIDER:
      return make('hr', 'element');
    case Element.SPINNER: {
      // A cached function computing: announced politely to screen readers.
      const node = make('div', 'element cache-spinner');
      node.setAttribute('role', 'status');
      node.append(make('span', 'spinner'), make('span', 'cache-spinner-text', element.spinner));
      return node;
    }
    case Element.EXCEPTION: {
      const { type, message } = element.exception;
      const node = make('div', 'element exception');
      node.append(make('div', 'exception-type', type), make('div', 'exception-message', message));
      return node;
    }
    default:
      // A newer server's element this page cannot show: keep its place.
      return make('div', 'element unknown');
  }
}

export class Renderer {
  /**
   * roots: [mainNode, sidebarNode]. send(widgetId, value) carries widget
   * changes to the server; upload(widgetId, file, handlers) starts sending a
   * file (see widgets.js).
   */
  constructor(roots, send, upload) {
    this.roots = roots.map((node) => new Container(node));
    this.send = send;
    this.upload = upload;
  }

  /** Drops every element (a new session starts from nothing). */
  clear() {
    for (const root of this.roots) root.truncate(0);
  }

  /** Applies one RunUpdate reader. Malformed paths are skipped, not fatal. */
  apply(run) {
    if (run.started) this.markStale();
    for (const delta of run.deltas) this.applyDelta(delta.path.toArray(), delta.element);
    if (run.finished) {
      for (const entry of run.lengths) {
        const container = this.container(entry.path.toArray());
        if (container) container.truncate(entry.length);
        else console.warn('sluice: length for unknown container', entry.path.toArray());
      }
      this.clearStale();
    }
  }

  hasSidebar() {
    return this.roots[1].slots.length > 0;
  }

  // Walks a container path: root index, then pairs of (element index,
  // container index of that block element), the same for every kind.
  container(path) {
    if (path.length % 2 === 0) return null;
    let container = this.roots[path[0]];
    for (let i = 1; container && i < path.length; i += 2) {
      const slot = container.slots[path[i]];
      container = slot?.children?.[path[i + 1]];
    }
    return container ?? null;
  }

  applyDelta(path, element) {
    const parent = path.length >= 2 ? this.container(path.slice(0, -1)) : null;
    if (!parent) {
      console.warn('sluice: delta for unknown container', path);
      return;
    }
    const index = path[path.length - 1];
    while (parent.slots.length < index) this.insert(parent, parent.slots.length, this.placeholder());

    const old = parent.slots[index];
    const kind = kindOf(element);
    // update() returns false when the slot cannot take the new element in
    // place (columns whose count changed); then it is rebuilt, children and all.
    if (old && old.kind === kind && old.update && old.update(element) !== false) {
      old.node.classList.remove('stale');
      return;
    }
    this.insert(parent, index, this.build(element, kind));
  }

  insert(parent, index, slot) {
    const old = parent.slots[index];
    if (old) old.node.replaceWith(slot.node);
    else parent.node.append(slot.node);
    parent.slots[index] = slot;
  }

  placeholder() {
    return { kind: 'placeholder', node: make('div', 'element placeholder') };
  }

  build(element, kind) {
    switch (element.which()) {
      case Element.COLUMNS:
        return this.buildColumns(element.columns, kind);
      case Element.EXPANDER:
        return this.buildExpander(element.expander, kind);
      case Element.WIDGET: {
        const widget = createWidget(element.widget, this.send, this.upload);
        if (!widget) return { kind, node: make('div', 'element unknown') };
        widget.node.classList.add('element');
        return { kind, node: widget.node, update: (e) => widget.update(e.widget) };
      }
      default:
        return { kind, node: leafNode(element) };
    }
  }

  buildColumns(count, kind) {
    const node = make('div', 'element columns');
    const children = [];
    for (let c = 0; c < count; c++) {
      const column = make('div', 'column');
      node.append(column);
      children.push(new Container(column));
    }
    return { kind, node, children, update: (e) => e.columns === count };
  }

  buildExpander(expander, kind) {
    const node = make('details', 'element expander');
    const summary = make('summary', null, expander.label);
    const body = make('div', 'expander-body');
    node.append(summary, body);
    // `expanded` is the app's initial state; the viewer's toggling wins
    // until the app asks for a different state.
    let wanted = expander.expanded;
    node.open = wanted;
    return {
      kind,
      node,
      children: [new Container(body)],
      update: (e) => {
        summary.textContent = e.expander.label;
        if (e.expander.expanded !== wanted) {
          wanted = e.expander.expanded;
          node.open = wanted;
        }
      },
    };
  }

  // Elements of the previous run fade (after a delay, in CSS) until this run
  // sends them again or drops them.
  markStale() {
    this.forEachSlot((slot) => slot.node.classList.add('stale'));
  }

  clearStale() {
    this.forEachSlot((slot) => slot.node.classList.remove('stale'));
  }

  forEachSlot(visit) {
    const walk = (container) => {
      for (const slot of container.slots) {
        visit(slot);
        for (const child of slot.children ?? []) walk(child);
      }
    };
    this.roots.forEach(walk);
  }
}

// Applies RunUpdates to the DOM.
//
// Elements live in containers addressed by paths (see RunUpdate in
// ipc/page.capnp): [0, i] is the i-th element of the main area, [1, i] of the
// sidebar; a block element at p owns its containers at p ++ [c] (columns: one
// per column; expander: one).
//
// The renderer knows no kind: kinds.js says which module builds an element.
// A delta whose element has the same kind key as the slot it lands on is
// applied in place by the slot's update() (same DOM node: focus, scroll and
// an edit in progress survive); otherwise the slot is rebuilt and the old one
// disposed (container.js).
import { Container } from './container.js';
import { make } from './dom.js';
import { kindOf } from './kinds.js';

export class Renderer {
  /**
   * roots: [mainNode, sidebarNode]. send(widgetId, value) carries widget
   * changes to the server; upload(widgetId, file, handlers) starts sending a
   * file (Connection.startUpload); query(elementId, what, onReply) asks a
   * shown element for data (Connection.query).
   */
  constructor(roots, send, upload, query) {
    this.roots = roots.map((node) => new Container(node));
    this.send = send;
    this.upload = upload;
    this.query = query;
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
    while (parent.slots.length < index) parent.put(parent.slots.length, placeholder());

    const old = parent.slots[index];
    const kind = kindOf(element);
    // update() returns false when the slot cannot take the new element in
    // place (columns whose count changed, a widget with another id); then it
    // is rebuilt, children and all.
    if (old && old.key === kind.key && old.update && old.update(element) !== false) {
      old.node.classList.remove('stale');
      return;
    }
    parent.put(index, this.build(element, kind));
  }

  build(element, kind) {
    const lifetime = new AbortController();
    const made = kind.create(element, {
      signal: lifetime.signal,
      send: this.send,
      upload: this.upload,
      query: this.query,
    });
    made.node.classList.add('element');
    return {
      key: kind.key,
      node: made.node,
      children: made.children,
      update: made.update,
      dispose: () => {
        lifetime.abort();
        made.dispose?.();
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

// Holds the place of an element the run has not sent yet.
function placeholder() {
  return { key: 'placeholder', node: make('div', 'element placeholder'), dispose() {} };
}

// A Container mirrors one DOM node holding elements in order (the main area,
// the sidebar, a column, an expander's body) and keeps one slot per element.
// A slot is what Renderer.build (render.js) makes of what an element kind's
// create() returned (kinds.js): {key, node, update?, dispose, children?},
// with the kind's key added and a dispose() that also aborts the element's
// signal.
//
// Whatever a container drops — replaced by a different kind, or cut off by
// the run's final length — is disposed, children first, so listeners,
// observers, timers and animation loops of removed elements do not outlive
// them.
export class Container {
  constructor(node) {
    this.node = node;
    this.slots = [];
  }

  /** Puts `slot` at `index` (at most slots.length), disposing the one it replaces. */
  put(index, slot) {
    const old = this.slots[index];
    if (old) {
      old.node.replaceWith(slot.node);
      disposeSlot(old);
    } else {
      this.node.append(slot.node);
    }
    this.slots[index] = slot;
  }

  /** Removes and disposes every slot from `length` on. */
  truncate(length) {
    for (const slot of this.slots.splice(length)) {
      slot.node.remove();
      disposeSlot(slot);
    }
  }
}

// A block's child containers go with it: their slots are disposed too (their
// nodes leave the DOM with the block's node).
function disposeSlot(slot) {
  for (const child of slot.children ?? []) {
    for (const inner of child.slots.splice(0)) disposeSlot(inner);
  }
  slot.dispose();
}

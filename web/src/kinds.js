// The page's one table of element kinds.
//
// A kind is one module: web/src/elements/<kind>.js for an Element union
// member, web/src/elements/widgets/<kind>.js for a Widget union member (both
// unions are in ipc/page.capnp). Nothing else names it: web/build.mjs scans
// those two directories and writes web/generated/kinds.js, which imports
// every module, and this file keys them by the member each one exports.
//
// A kind module exports
//   member            its union discriminant, from the generated bindings
//                     (e.g. `Element.TITLE`, `Widget.SLIDER`): no number or
//                     name is written twice;
//   create(value, ctx) -> {node, update?, dispose?, children?}
//     value   the Element reader (the Widget reader for widget kinds);
//     ctx     {signal, send, upload}: signal aborts when the element is
//             disposed — register listeners with {signal} and they go with
//             it; a widget kind's send(value) and upload(file, handlers)
//             carry a viewer's change to the server under the widget's
//             id (value: a WidgetValue member, see
//             encodeWidgetChange in protocol.js);
//     node    the element's DOM node, showing `value`;
//     update(value)  shows a later value of the same kind in the same node
//             (view state — focus, scroll, an edit in progress — survives);
//             returning false asks for a rebuild instead; no update means
//             always rebuild;
//     dispose()  releases what `signal` does not (observers, timers,
//             animation loops, a pending lazy load); called once, when a
//             container replaces or drops the element;
//     children  a block's child Containers (see container.js), in the
//             order of the container index c of the path p ++ [c].
//
// A kind's own CSS may sit in its module (adoptStyle in dom.js).
// A heavy library is loaded with `import('...')` inside the module that
// needs it: esbuild puts it in a chunk of its own, so app.js stays small. The
// chunk is fetched when import() runs: at first use, or — as markdown does,
// so that it has usually arrived before the first run — as the page starts,
// on every page.
import { Element, Element_Which, Widget_Which } from '../generated/page.js';
import { elementModules, widgetModules } from '../generated/kinds.js';
import { make } from './dom.js';

// `members`: the union's discriminants a module there may render. (Both
// unions number from 0, so this catches a member past the other union's end;
// web/build.mjs also checks which union each module's source names.)
function tableOf(modules, where, union, members) {
  const table = new Map();
  for (const [file, module] of Object.entries(modules)) {
    if (!Number.isInteger(module.member) || typeof module.create !== 'function') {
      throw new Error(`${where}/${file} must export member (a union discriminant) and create()`);
    }
    if (!members.includes(module.member)) {
      throw new Error(`${where}/${file} exports member ${module.member}, which is no ${union} a module there renders`);
    }
    const other = table.get(module.member);
    if (other) throw new Error(`${where}/${file} and ${where}/${other.file} both render member ${module.member}`);
    table.set(module.member, { file, create: module.create });
  }
  return table;
}

// Element.WIDGET is not a kind of its own: the Widget union says which.
const elementKinds = tableOf(elementModules, 'web/src/elements', 'Element',
  Object.values(Element_Which).filter((member) => member !== Element.WIDGET));
const widgetKinds = tableOf(widgetModules, 'web/src/elements/widgets', 'Widget', Object.values(Widget_Which));

// A newer server's element this page cannot show: it keeps its place.
function unknown() {
  return { node: make('div', 'unknown') };
}

// Widgets share one Element member; the Widget union says which control.
// A control stays with one widget id: another widget landing in its slot
// gets a new control, so that an edit in progress (a half-typed value, an
// upload) is never sent under the other widget's id.
function widgetCreator(kind) {
  return (element, ctx) => {
    const id = element.widget.id;
    const control = kind.create(element.widget, {
      signal: ctx.signal,
      send: (value) => ctx.send(id, value),
      upload: (file, handlers) => ctx.upload(id, file, handlers),
    });
    return {
      node: control.node,
      update: control.update && ((e) => {
        if (e.widget.id !== id) return false;
        return control.update(e.widget);
      }),
      dispose: control.dispose,
    };
  };
}

/**
 * The kind of `element` (an Element reader): {key, create(element, ctx)}.
 * Two elements with the same key may update one another in place.
 */
export function kindOf(element) {
  const which = element.which();
  if (which === Element.WIDGET) {
    const member = element.widget.which();
    const kind = widgetKinds.get(member);
    return { key: `widget:${member}`, create: kind ? widgetCreator(kind) : unknown };
  }
  return { key: `element:${which}`, create: elementKinds.get(which)?.create ?? unknown };
}

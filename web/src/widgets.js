// Native, labelled controls for Widget elements. Each control's accessible
// role and name are the browser's own (button, checkbox, slider, spinbutton,
// textbox, combobox, radiogroup) and its name is the widget's label.
//
// A control is created once and then updated in place by later runs, so focus
// and an edit in progress survive reruns. The server's value is applied unless
// the viewer is editing the control (focused, with a change not yet sent).
import { Widget } from '../generated/page.js';
import { formatBytes } from './uploads.js';

let nextId = 0;
function uniqueId(prefix) {
  nextId += 1;
  return `sluice-${prefix}-${nextId}`;
}

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function labelFor(control, text) {
  const label = make('label', 'widget-label');
  label.htmlFor = control.id;
  label.textContent = text;
  return label;
}

// Tracks "typed or dragged, not yet committed" so a rerun does not yank the
// value out from under the viewer.
function trackEditing(control) {
  let dirty = false;
  control.addEventListener('input', () => {
    dirty = true;
  });
  return {
    committed() {
      dirty = false;
    },
    editing() {
      return dirty && document.activeElement === control;
    },
  };
}

function decimalsOf(step) {
  if (!(step > 0) || !Number.isFinite(step)) return null;
  const text = String(step);
  const exp = text.match(/e-(\d+)$/);
  if (exp) return Math.min(20, Number(exp[1]) + (text.split('e')[0].split('.')[1]?.length ?? 0));
  return Math.min(20, text.split('.')[1]?.length ?? 0);
}

function formatNumber(value, range) {
  if (range.integer) return String(Math.round(value));
  const decimals = decimalsOf(range.step);
  return decimals === null ? String(value) : value.toFixed(decimals);
}

function applyRange(input, range) {
  for (const bound of ['min', 'max']) {
    if (Number.isFinite(range[bound])) input[bound] = String(range[bound]);
    else input.removeAttribute(bound);
  }
  if (range.integer) input.step = String(Math.max(1, Math.round(range.step) || 1));
  else input.step = range.step > 0 && Number.isFinite(range.step) ? String(range.step) : 'any';
}

// A plain copy, so a control does not keep a whole received message alive.
function copyRange(r) {
  return { value: r.value, min: r.min, max: r.max, step: r.step, integer: r.integer };
}

function readNumber(input, range) {
  let value = input.valueAsNumber;
  if (!Number.isFinite(value)) return null;
  if (range.integer) value = Math.round(value);
  if (Number.isFinite(range.min)) value = Math.max(range.min, value);
  if (Number.isFinite(range.max)) value = Math.min(range.max, value);
  return value;
}

function button(state, send) {
  const node = make('div', 'widget widget-button');
  const control = make('button');
  control.type = 'button';
  control.addEventListener('click', () => send(state.id, { clicked: true }));
  node.append(control);
  return {
    node,
    update(w) {
      control.textContent = w.label;
    },
  };
}

function checkbox(state, send) {
  const node = make('label', 'widget widget-checkbox');
  const control = make('input');
  control.type = 'checkbox';
  const text = make('span');
  control.addEventListener('change', () => send(state.id, { checked: control.checked }));
  node.append(control, text);
  return {
    node,
    update(w) {
      text.textContent = w.label;
      control.checked = w.checkbox;
    },
  };
}

function slider(state, send) {
  const node = make('div', 'widget widget-slider');
  const control = make('input');
  control.type = 'range';
  control.id = uniqueId('slider');
  const label = labelFor(control, '');
  const shown = make('span', 'slider-value');
  const row = make('div', 'slider-row');
  row.append(control, shown);
  node.append(label, row);
  const edit = trackEditing(control);
  let range = null;
  control.addEventListener('input', () => {
    const value = readNumber(control, range);
    if (value !== null) shown.textContent = formatNumber(value, range);
  });
  control.addEventListener('change', () => {
    edit.committed();
    const value = readNumber(control, range);
    if (value !== null) send(state.id, { number: value });
  });
  return {
    node,
    update(w) {
      label.textContent = w.label;
      range = copyRange(w.slider);
      if (edit.editing()) return;
      applyRange(control, range);
      control.value = String(range.value);
      shown.textContent = formatNumber(range.value, range);
    },
  };
}

function numberInput(state, send) {
  const node = make('div', 'widget widget-number');
  const control = make('input');
  control.type = 'number';
  control.id = uniqueId('number');
  const label = labelFor(control, '');
  node.append(label, control);
  const edit = trackEditing(control);
  let range = null;
  control.addEventListener('change', () => {
    edit.committed();
    const value = readNumber(control, range);
    if (value === null) {
      control.value = formatNumber(range.value, range);
      return;
    }
    control.value = formatNumber(value, range);
    send(state.id, { number: value });
  });
  return {
    node,
    update(w) {
      label.textContent = w.label;
      range = copyRange(w.numberInput);
      if (edit.editing()) return;
      applyRange(control, range);
      control.value = range.integer ? String(Math.round(range.value)) : String(range.value);
    },
  };
}

function textInput(state, send) {
  const node = make('div', 'widget widget-text');
  const control = make('input');
  control.type = 'text';
  control.id = uniqueId('text');
  control.autocomplete = 'off';
  const label = labelFor(control, '');
  node.append(label, control);
  const edit = trackEditing(control);
  control.addEventListener('change', () => {
    edit.committed();
    send(state.id, { text: control.value });
  });
  return {
    node,
    update(w) {
      label.textContent = w.label;
      if (!edit.editing()) control.value = w.textInput;
    },
  };
}

function sameOptions(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function selectbox(state, send) {
  const node = make('div', 'widget widget-select');
  const control = make('select');
  control.id = uniqueId('select');
  const label = labelFor(control, '');
  node.append(label, control);
  let options = [];
  control.addEventListener('change', () => send(state.id, { index: control.selectedIndex }));
  return {
    node,
    update(w) {
      label.textContent = w.label;
      const choice = w.selectbox;
      const next = choice.options.toArray();
      if (!sameOptions(options, next)) {
        options = next;
        control.replaceChildren(
          ...next.map((text) => {
            const option = make('option');
            option.textContent = text;
            return option;
          }),
        );
      }
      control.selectedIndex = choice.index < next.length ? choice.index : -1;
    },
  };
}

function radio(state, send) {
  const node = make('fieldset', 'widget widget-radio');
  node.setAttribute('role', 'radiogroup');
  const legend = make('legend', 'widget-label');
  legend.id = uniqueId('legend');
  node.setAttribute('aria-labelledby', legend.id);
  const list = make('div', 'radio-options');
  node.append(legend, list);
  const group = uniqueId('radio');
  let options = [];
  let inputs = [];
  return {
    node,
    update(w) {
      legend.textContent = w.label;
      const choice = w.radio;
      const next = choice.options.toArray();
      if (!sameOptions(options, next)) {
        options = next;
        inputs = next.map((text, index) => {
          const input = make('input');
          input.type = 'radio';
          input.name = group;
          input.addEventListener('change', () => {
            if (input.checked) send(state.id, { index });
          });
          const option = make('label', 'radio-option');
          const span = make('span');
          span.textContent = text;
          option.append(input, span);
          return input;
        });
        list.replaceChildren(...inputs.map((input) => input.parentNode));
      }
      inputs.forEach((input, index) => {
        input.checked = index === choice.index;
      });
    },
  };
}

// A native, labelled <input type=file>; the files the server holds, each
// with an x button; per upload a progress bar and a Cancel button; and the
// server's message when it refused one. Files go one at a time.
function fileUploader(state, send, upload) {
  const node = make('div', 'widget widget-uploader');
  const control = make('input');
  control.type = 'file';
  control.id = uniqueId('file');
  const label = labelFor(control, '');
  const hint = make('div', 'upload-hint');
  const progress = make('ul', 'upload-progress');
  const problem = make('div', 'upload-error');
  problem.setAttribute('role', 'alert');
  problem.hidden = true;
  const list = make('ul', 'upload-files');
  list.setAttribute('aria-label', 'Uploaded files');
  node.append(label, control, hint, progress, problem, list);

  const queue = [];
  let current = null;

  const showProblem = (message) => {
    problem.textContent = message;
    problem.hidden = !message;
  };

  const next = () => {
    if (current || queue.length === 0) return;
    const file = queue.shift();
    const row = make('li', 'upload-row');
    const name = make('span', 'upload-name', file.name);
    const bar = make('progress');
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    bar.setAttribute('aria-label', `Uploading ${file.name}`);
    const cancel = make('button', 'upload-cancel', 'Cancel');
    cancel.type = 'button';
    cancel.setAttribute('aria-label', `Cancel uploading ${file.name}`);
    row.append(name, bar, cancel);
    progress.append(row);
    const finish = () => {
      row.remove();
      current = null;
      next();
    };
    current = upload(state.id, file, {
      onProgress(acked) {
        bar.value = acked;
      },
      onDone() {
        bar.value = bar.max;
        finish();
      },
      onFailed(message) {
        showProblem(message);
        queue.length = 0;
        finish();
      },
    });
    cancel.addEventListener('click', () => {
      current?.cancel();
      queue.length = 0;
      finish();
    });
  };

  control.addEventListener('change', () => {
    const files = [...control.files];
    // Cleared so that choosing the same file again is a change too.
    control.value = '';
    if (files.length === 0) return;
    showProblem('');
    queue.push(...(control.multiple ? files : files.slice(0, 1)));
    next();
  });

  return {
    node,
    update(w) {
      label.textContent = w.label;
      const spec = w.fileUploader;
      const types = spec.types.toArray();
      control.accept = types.join(',');
      control.multiple = spec.multiple;
      const limit = Number(spec.maxBytes);
      const parts = [];
      if (limit > 0) parts.push(`Limit ${formatBytes(limit)} per file`);
      if (types.length > 0) parts.push(types.map((t) => t.slice(1).toUpperCase()).join(', '));
      hint.textContent = parts.join(' • ');
      list.replaceChildren(
        ...spec.files.toArray().map((file) => {
          const item = make('li', 'upload-file');
          const name = make('span', 'upload-name', file.name);
          const size = make('span', 'upload-size', formatBytes(Number(file.size)));
          const remove = make('button', 'upload-remove', '×');
          remove.type = 'button';
          remove.title = 'Remove';
          remove.setAttribute('aria-label', `Remove ${file.name}`);
          const fileId = file.id;
          remove.addEventListener('click', () => send(state.id, { removeFile: fileId }));
          item.append(name, size, remove);
          return item;
        }),
      );
    },
  };
}

const factories = {
  [Widget.BUTTON]: button,
  [Widget.CHECKBOX]: checkbox,
  [Widget.SLIDER]: slider,
  [Widget.NUMBER_INPUT]: numberInput,
  [Widget.TEXT_INPUT]: textInput,
  [Widget.SELECTBOX]: selectbox,
  [Widget.RADIO]: radio,
  [Widget.FILE_UPLOADER]: fileUploader,
};

/**
 * Builds the control for `widget` (a Widget reader). send(widgetId, value)
 * is called with a WidgetValue member ({clicked}, {checked}, {number},
 * {text}, {index} or {removeFile}) when the viewer changes it;
 * upload(widgetId, file, handlers) sends a file (Connection.startUpload).
 * Returns {node, update}:
 * update(widget) applies a later Widget of the same kind in place.
 * Returns null for a widget kind this page does not know.
 */
export function createWidget(widget, send, upload) {
  const factory = factories[widget.which()];
  if (!factory) return null;
  const state = { id: widget.id };
  const control = factory(state, send, upload);
  const update = (w) => {
    state.id = w.id;
    control.update(w);
  };
  update(widget);
  return { node: control.node, update };
}

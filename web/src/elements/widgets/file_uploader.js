// st::file_uploader: a native, labelled <input type=file>; the files the
// server holds, each with an x button; per upload a progress bar and a Cancel
// button; and the server's message when it refused one. Files go one at a
// time.
import { Widget } from '../../../generated/page.js';
import { labelFor, make, uniqueId } from '../../dom.js';
import { formatBytes } from '../../uploads.js';

export const member = Widget.FILE_UPLOADER;

export function create(widget, { signal, send, upload }) {
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
  // The listeners of the listed files' Remove buttons, removed with them.
  let listed = null;
  signal.addEventListener('abort', () => listed?.abort(), { once: true });

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
    // upload() may fail at once (no socket) and so finish before it returns:
    // a finished upload must not become `current`, or next() would wait on
    // it forever.
    let ended = false;
    // The row's Cancel listener goes with the row, not with the element.
    const rowListeners = new AbortController();
    const finish = () => {
      ended = true;
      rowListeners.abort();
      row.remove();
      current = null;
      next();
    };
    const started = upload(file, {
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
    if (!ended) current = started;
    cancel.addEventListener(
      'click',
      () => {
        started.cancel();
        queue.length = 0;
        finish();
      },
      { signal: rowListeners.signal },
    );
  };

  control.addEventListener(
    'change',
    () => {
      const files = [...control.files];
      // Cleared so that choosing the same file again is a change too.
      control.value = '';
      if (files.length === 0) return;
      showProblem('');
      queue.push(...(control.multiple ? files : files.slice(0, 1)));
      next();
    },
    { signal },
  );

  const view = {
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
      listed?.abort();
      listed = new AbortController();
      const { signal: listening } = listed;
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
          remove.addEventListener('click', () => send({ removeFile: fileId }), { signal: listening });
          item.append(name, size, remove);
          return item;
        }),
      );
    },
    // A rerun dropped the uploader: the viewer can no longer see or cancel
    // its upload, so it stops here and queued files are not started.
    dispose() {
      queue.length = 0;
      const stopped = current;
      current = null;
      stopped?.cancel();
    },
  };
  view.update(widget);
  return view;
}

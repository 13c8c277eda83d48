// st::download_button: a click asks the worker for the file's bytes (a
// download query, no rerun); they arrive in chunks over the session's
// socket, with a progress bar, and the browser saves them under the file
// name. A failure (the app's callable threw, the element went away, the
// connection dropped) is shown next to the button, which can be clicked
// again.
import { Element, QueryReply } from '../../generated/page.js';
import { adoptStyle, make } from '../dom.js';

export const member = Element.DOWNLOAD_BUTTON;

export function create(element, { signal, query }) {
  adoptStyle(`
.download { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; }
.download progress { width: 8rem; accent-color: var(--accent); }
.download-error { color: #b42318; flex-basis: 100%; }
`);
  let button = element.downloadButton;
  const node = make('div', 'widget widget-button download');
  const control = make('button');
  control.type = 'button';
  const progress = make('progress');
  progress.hidden = true;
  const error = make('div', 'download-error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  node.append(control, progress, error);

  let stop = null; // stops listening to the download in flight
  const finish = () => {
    stop = null;
    control.disabled = false;
    control.removeAttribute('aria-busy');
    progress.hidden = true;
  };
  const fail = (message) => {
    finish();
    error.textContent = message;
    error.hidden = false;
  };

  control.addEventListener(
    'click',
    () => {
      if (stop) return;
      error.hidden = true;
      control.disabled = true;
      control.setAttribute('aria-busy', 'true');
      progress.removeAttribute('value');
      progress.hidden = false;
      const parts = [];
      const { fileName, mime } = button;
      stop = query(button.id, { download: true }, (reply) => {
        if (reply.which() !== QueryReply.DOWNLOAD) {
          fail(reply.error || 'the download failed');
          return;
        }
        const chunk = reply.download;
        // Copied out: the reader's bytes belong to the socket's frame.
        parts.push(chunk.data.toUint8Array().slice());
        const size = Number(chunk.size);
        if (size > 0) {
          progress.max = size;
          progress.value = Number(chunk.offset) + chunk.data.length;
        }
        if (chunk.done) {
          finish();
          save(new Blob(parts, { type: mime || 'application/octet-stream' }), fileName);
        }
      });
    },
    { signal },
  );

  const view = {
    node,
    update(e) {
      button = e.downloadButton;
      control.textContent = button.label;
      control.title = `Saves ${button.fileName}`;
    },
    dispose() {
      stop?.();
    },
  };
  view.update(element);
  return view;
}

// Hands `blob` to the browser's own download, named `fileName`.
function save(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = make('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the bytes once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

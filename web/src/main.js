// Wires the page together: the connection feeds the renderer and the banner;
// widgets send their changes back through the connection.
import { Banner } from './banner.js';
import { Connection } from './connection.js';
import { NoticeKind } from './protocol.js';
import { Renderer } from './render.js';

const body = document.body;
const status = document.getElementById('status');
const sidebar = document.getElementById('sidebar');
const banner = new Banner(document.getElementById('banner'), document.getElementById('toasts'));

function setRunning(running) {
  body.dataset.running = String(running);
  status.hidden = !running;
}

function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/_sluice/ws`;
}

const RELOAD = { label: 'Reload', run: () => location.reload() };

let connection = null;
const renderer = new Renderer(
  [document.getElementById('main'), document.getElementById('sidebar-content')],
  (widgetId, value) => connection.sendWidgetChange(widgetId, value),
  (widgetId, file, handlers) => connection.startUpload(widgetId, file, handlers),
  (elementId, what, onReply) => connection.query(elementId, what, onReply),
);

function afterRender() {
  sidebar.hidden = !renderer.hasSidebar();
}

connection = new Connection(socketUrl(), {
  onSession(session) {
    banner.hide();
    if (!session.resumed) {
      renderer.clear();
      setRunning(false);
      afterRender();
    }
  },

  onRun(run) {
    if (run.started) setRunning(true);
    renderer.apply(run);
    if (run.finished) {
      setRunning(false);
      body.dataset.runId = String(run.runId);
    }
    afterRender();
  },

  onNotice(notice) {
    const message = notice.message;
    switch (notice.kind) {
      case NoticeKind.BAD_INPUT:
        banner.toast(message || 'The server rejected that change.');
        return;
      case NoticeKind.QUEUED:
        // Still connected: the session answer follows when a worker is free.
        banner.show({
          tone: 'info',
          message: `Waiting for a free place — you are number ${notice.position} in line`,
          detail: message,
          polite: true,
        });
        return;
      case NoticeKind.BUSY:
        connection.stop();
        banner.show({
          tone: 'warning',
          message: 'Server busy — please retry',
          detail: message,
          action: {
            label: 'Retry',
            run: () => {
              banner.hide();
              connection.startNew();
            },
          },
        });
        break;
      case NoticeKind.RESTARTING:
        // The run in progress still streams in; the session's end follows.
        banner.show({
          tone: 'warning',
          message: message || 'The server is restarting.',
          detail: 'Reload in a moment to start a new session',
          action: RELOAD,
        });
        return;
      case NoticeKind.CRASHED:
        connection.stop();
        banner.show({
          tone: 'error',
          message: message || 'The app stopped unexpectedly.',
          detail: 'Reload to start a new session',
          action: RELOAD,
        });
        break;
      default:
        connection.stop();
        banner.show({
          tone: 'info',
          message: message || 'This session has ended.',
          detail: 'Reload to start a new session',
          action: RELOAD,
        });
    }
    setRunning(false);
  },

  onUploadProblem(message) {
    banner.toast(message);
  },

  onLost() {
    setRunning(false);
    banner.show({ tone: 'warning', message: 'Connection lost — reconnecting…' });
  },
});

// Closing the tab ends the session at once instead of after the grace period.
addEventListener('pagehide', () => connection.bye());
// Restored from the back/forward cache: the old session was ended by bye.
addEventListener('pageshow', (event) => {
  if (event.persisted) connection.startNew();
});

setRunning(false);
afterRender();
connection.start();

// The page's one WebSocket to the broker, and getting it back after a drop.
//
// Every frame is one unpacked Cap'n Proto message. The first message on each
// connection is Hello with the reconnect token of the current session ("" for
// a new one). The token is kept in memory only: a reload or a second tab is a
// new session by design.
import {
  ServerMessage,
  UploadState,
  decodeServerMessage,
  encodeBye,
  encodeHello,
  encodeQuery,
  encodeWidgetChange,
  QueryReply,
} from './protocol.js';
import { Upload } from './uploads.js';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2000;
const MAX_PENDING = 64;
const DEFAULT_CHUNK_BYTES = 64 * 1024;

// What a query whose socket dropped gets instead of its answer.
function lostReply() {
  return { which: () => QueryReply.ERROR, error: 'the connection was lost; try again' };
}

export class Connection {
  /**
   * handlers: onSession(Session), onRun(RunUpdate), onNotice(Notice) with
   * the decoded readers, onLost() when the socket dropped and a
   * reconnect is scheduled, and onUploadProblem(message) for a failed
   * upload this page no longer follows.
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.token = '';
    this.socket = null;
    this.ready = false; // the current socket has its Session
    this.stopped = false; // no reconnecting: we said bye, or the server said it's over
    this.retryMs = FIRST_RETRY_MS;
    this.timer = null;
    this.pending = []; // widget changes made while disconnected
    this.uploads = new Map(); // upload id -> Upload, on the current socket
    this.nextUploadId = 1;
    this.chunkBytes = DEFAULT_CHUNK_BYTES;
    this.queries = new Map(); // query id -> onReply, on the current socket
    this.nextQueryId = 1;
  }

  /**
   * Asks the element `elementId` for data (see Query in ipc/page.capnp):
   * what is {rows: {...}} or {download: true}. onReply(reply) gets each
   * QueryReply reader; the last one is an error, rows, or a download chunk
   * with done. A query on a socket that drops gets a made-up error reply
   * ({error: 'connection lost'}). Returns a function that stops listening.
   */
  query(elementId, what, onReply) {
    const id = this.nextQueryId;
    this.nextQueryId = (this.nextQueryId % 0xffffffff) + 1;
    if (!this.ready || this.socket?.readyState !== WebSocket.OPEN) {
      queueMicrotask(() => onReply(lostReply()));
      return () => {};
    }
    this.queries.set(id, onReply);
    this.socket.send(encodeQuery(id, elementId, what));
    return () => this.queries.delete(id);
  }

  // Queries belong to one socket: their answers went with it.
  loseQueries() {
    const waiting = [...this.queries.values()];
    this.queries.clear();
    for (const onReply of waiting) onReply(lostReply());
  }

  /**
   * Starts sending `file` (a File) to the fileUploader `widgetId`. handlers:
   * onProgress(acked, size), onDone(), onFailed(message). Returns the
   * Upload, whose cancel() gives up.
   */
  startUpload(widgetId, file, handlers) {
    const id = this.nextUploadId;
    this.nextUploadId = (this.nextUploadId % 0xffffffff) + 1;
    const socket = this.ready ? this.socket : null;
    const send = (frame) => {
      if (socket !== this.socket || socket?.readyState !== WebSocket.OPEN) return false;
      socket.send(frame);
      return true;
    };
    const upload = new Upload(id, widgetId, file, this.chunkBytes, send, {
      onProgress: handlers.onProgress,
      onDone: () => {
        this.uploads.delete(id);
        handlers.onDone();
      },
      onFailed: (message) => {
        this.uploads.delete(id);
        handlers.onFailed(message);
      },
    });
    this.uploads.set(id, upload);
    const cancel = upload.cancel.bind(upload);
    upload.cancel = () => {
      this.uploads.delete(id);
      cancel();
    };
    upload.start();
    return upload;
  }

  // Uploads belong to one socket: when it goes, they end.
  loseUploads() {
    const uploads = [...this.uploads.values()];
    this.uploads.clear();
    for (const upload of uploads) upload.lost();
  }

  /** Connects, resuming the current session if there is one. */
  start() {
    this.stopped = false;
    this.open();
  }

  /** Forgets the current session and connects for a fresh one. */
  startNew() {
    this.token = '';
    this.pending = [];
    this.retryMs = FIRST_RETRY_MS;
    this.drop();
    this.start();
  }

  /** No further reconnects; the socket is closed without ending the session. */
  stop() {
    this.stopped = true;
    this.drop();
  }

  /** Ends the session now (the tab is going away) and stops. */
  bye() {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(encodeBye());
    this.stop();
  }

  sendWidgetChange(widgetId, value) {
    const frame = encodeWidgetChange(widgetId, value);
    if (this.ready && this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(frame);
    } else if (!this.stopped) {
      this.pending.push(frame);
      if (this.pending.length > MAX_PENDING) this.pending.shift();
    }
  }

  open() {
    clearTimeout(this.timer);
    this.timer = null;
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.ready = false;
    socket.onopen = () => socket.send(encodeHello(this.token));
    socket.onmessage = (event) => {
      if (socket === this.socket) this.receive(event.data);
    };
    socket.onclose = () => {
      if (socket === this.socket) this.lost();
    };
  }

  // Closes the current socket without treating it as a drop.
  drop() {
    this.loseUploads();
    this.loseQueries();
    clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
  }

  lost() {
    this.socket = null;
    this.ready = false;
    this.loseUploads();
    this.loseQueries();
    if (this.stopped) return;
    this.handlers.onLost();
    this.timer = setTimeout(() => this.open(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  receive(data) {
    if (!(data instanceof ArrayBuffer)) {
      console.error('sluice: ignoring a non-binary frame');
      return;
    }
    try {
      this.dispatch(decodeServerMessage(data));
    } catch (err) {
      console.error('sluice: bad frame from server:', err);
    }
  }

  dispatch(message) {
    switch (message.which()) {
      case ServerMessage.SESSION: {
        const session = message.session;
        this.token = session.reconnectToken;
        this.chunkBytes = session.uploadChunkBytes || DEFAULT_CHUNK_BYTES;
        this.retryMs = FIRST_RETRY_MS;
        this.ready = true;
        // Changes made during the drop only mean something to the same worker.
        const pending = session.resumed ? this.pending : [];
        this.pending = [];
        this.handlers.onSession(session);
        for (const frame of pending) this.socket?.send(frame);
        break;
      }
      case ServerMessage.RUN:
        this.handlers.onRun(message.run);
        break;
      case ServerMessage.NOTICE:
        this.handlers.onNotice(message.notice);
        break;
      case ServerMessage.UPLOAD: {
        const status = message.upload;
        const upload = this.uploads.get(status.uploadId);
        if (upload) upload.status(status);
        else if (status.state === UploadState.FAILED) this.handlers.onUploadProblem(status.message);
        break;
      }
      case ServerMessage.REPLY: {
        const reply = message.reply;
        const onReply = this.queries.get(reply.queryId);
        if (!onReply) break; // its element went away and stopped listening
        const last = reply.which() !== QueryReply.DOWNLOAD || reply.download.done;
        if (last) this.queries.delete(reply.queryId);
        onReply(reply);
        break;
      }
      default:
        console.warn('sluice: unknown server message', message.which());
    }
  }
}

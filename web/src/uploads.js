// Sends one file over the session's WebSocket (UploadBegin, UploadChunk...,
// uploadEnd in ipc/page.capnp) and follows its UploadStatus answers.
//
// At most WINDOW_CHUNKS chunks are sent ahead of what the broker has
// acknowledged (UploadStatus.progress), so a large file is read from disk as
// it goes and neither the page nor the broker holds more than a few chunks.
// The server decides every limit (size, type, how many at once); the page
// shows what it says.
import {
  UploadState,
  encodeUploadBegin,
  encodeUploadCancel,
  encodeUploadChunk,
  encodeUploadEnd,
} from './protocol.js';

const WINDOW_CHUNKS = 4;

/** "1.5 MB", "12 KB", "7 bytes": as the server words its limits. */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

export class Upload {
  /**
   * send(frame) writes one frame on the current socket (false if there is
   * none). handlers: onProgress(acked, size), onDone(), onFailed(message).
   */
  constructor(id, widgetId, file, chunkBytes, send, handlers) {
    this.id = id;
    this.widgetId = widgetId;
    this.file = file;
    this.size = file.size;
    this.chunkBytes = chunkBytes;
    this.send = send;
    this.handlers = handlers;
    this.sent = 0;
    this.acked = 0;
    this.endSent = false;
    this.pumping = false;
    this.finished = false;
  }

  start() {
    const type = this.file.type || '';
    if (!this.send(encodeUploadBegin(this.id, this.widgetId, this.file.name, type, this.size))) {
      this.fail('Not connected to the server; try again.');
      return;
    }
    this.pump();
  }

  /** The viewer gave up: the server drops what it has. */
  cancel() {
    if (this.finished) return;
    this.finished = true;
    this.send(encodeUploadCancel(this.id));
  }

  /** The connection went away: this upload cannot go on. */
  lost() {
    this.fail(`Uploading "${this.file.name}" stopped: the connection was lost. Try again.`);
  }

  /** An UploadStatus reader for this upload. */
  status(status) {
    if (this.finished) return;
    switch (status.state) {
      case UploadState.PROGRESS:
        this.acked = Number(status.received);
        this.handlers.onProgress(this.acked, this.size);
        this.pump();
        break;
      case UploadState.DONE:
        this.finished = true;
        this.handlers.onDone();
        break;
      default:
        // Tell the broker too, in case only the worker refused it.
        this.send(encodeUploadCancel(this.id));
        this.fail(status.message || `Uploading "${this.file.name}" failed.`);
    }
  }

  fail(message) {
    if (this.finished) return;
    this.finished = true;
    this.handlers.onFailed(message);
  }

  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.finished && this.sent < this.size &&
             this.sent - this.acked < WINDOW_CHUNKS * this.chunkBytes) {
        const end = Math.min(this.size, this.sent + this.chunkBytes);
        const bytes = await this.file.slice(this.sent, end).arrayBuffer();
        if (this.finished) return;
        if (!this.send(encodeUploadChunk(this.id, this.sent, bytes))) {
          this.lost();
          return;
        }
        this.sent = end;
      }
      if (!this.finished && this.sent === this.size && !this.endSent) {
        this.endSent = true;
        this.send(encodeUploadEnd(this.id));
      }
    } catch (err) {
      this.fail(`Could not read "${this.file.name}": ${err.message}`);
    } finally {
      this.pumping = false;
    }
  }
}

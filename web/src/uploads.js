// Sends one file over the session's WebSocket (UploadBegin, UploadChunk...,
// uploadEnd in ipc/page.capnp) and follows its UploadStatus answers.
//
// The file is read from disk as it goes, in slices of about READ_BYTES
// (each File.slice().arrayBuffer() is a round trip to the browser process
// that costs about a millisecond of the page's time, so slices are larger
// than chunks), READ_AHEAD slices ahead of what is sent, so that the next
// chunk is in memory when the window opens. At most
// a window of bytes is sent ahead of what the broker has acknowledged
// (UploadStatus.progress): the window starts at MIN_WINDOW_BYTES and follows
// the bandwidth-delay product the upload measures (twice the acknowledged
// rate times the shortest round trip seen), up to MAX_WINDOW_BYTES. On a
// fast, short link it stays small; on a long one (a 50 ms round trip at
// 1 Gbit/s holds 6 MiB) it opens so that the link, not the window, sets the
// pace. The broker still paces the page: it stops reading (and so stops
// acknowledging) while its worker has a backlog, so the window only bounds
// what waits in the browser's and the kernel's buffers.
// The server decides every limit (size, type, how many at once, the chunk
// size); the page shows what it says.
import {
  UploadState,
  encodeChunkFrame,
  encodeUploadBegin,
  encodeUploadCancel,
  encodeUploadChunk,
  encodeUploadEnd,
} from './protocol.js';

const READ_BYTES = 1 << 20;
const READ_AHEAD = 4;
const MIN_WINDOW_BYTES = 4 << 20;
const MAX_WINDOW_BYTES = 64 << 20;
// The acknowledged rate is measured over at least this long (and at least
// one shortest round trip).
const RATE_INTERVAL_MS = 20;

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
    this.readBytes = Math.max(1, Math.floor(READ_BYTES / chunkBytes)) * chunkBytes;
    this.reads = []; // {start, end, bytes: Promise<ArrayBuffer>}: slices not yet all sent, in order
    this.readTo = 0;
    this.windowBytes = Math.max(MIN_WINDOW_BYTES, 4 * chunkBytes);
    this.sentAt = []; // [end offset, time sent] of chunks not yet acknowledged
    this.minRttMs = Infinity;
    this.rateFrom = null; // {at, acked}: where the current rate interval began
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
        this.measure(performance.now());
        this.handlers.onProgress(this.acked, this.size);
        this.pump();
        break;
      case UploadState.DONE:
        this.finished = true;
        this.handlers.onDone();
        break;
      default:
        // Tell the broker too, in case only the worker refused it.
        this.abandon(status.message || `Uploading "${this.file.name}" failed.`);
    }
  }

  fail(message) {
    if (this.finished) return;
    this.finished = true;
    this.handlers.onFailed(message);
  }

  // Fails an upload the server still holds open: it is told to drop it, or
  // it would count against the session's open uploads until the session ends.
  abandon(message) {
    if (this.finished) return;
    this.send(encodeUploadCancel(this.id));
    this.fail(message);
  }

  // Round trip of the newest acknowledged chunk, and the window from the
  // rate acknowledged since the interval began.
  measure(now) {
    let sentAt = null;
    while (this.sentAt.length && this.sentAt[0][0] <= this.acked) sentAt = this.sentAt.shift()[1];
    if (sentAt !== null) this.minRttMs = Math.min(this.minRttMs, now - sentAt);
    if (!this.rateFrom) {
      this.rateFrom = { at: now, acked: this.acked };
      return;
    }
    const elapsed = now - this.rateFrom.at;
    if (elapsed < Math.max(RATE_INTERVAL_MS, this.minRttMs)) return;
    const bytesPerMs = (this.acked - this.rateFrom.acked) / elapsed;
    this.windowBytes = Math.min(MAX_WINDOW_BYTES,
      Math.max(MIN_WINDOW_BYTES, 4 * this.chunkBytes, Math.round(2 * bytesPerMs * this.minRttMs)));
    this.rateFrom = { at: now, acked: this.acked };
  }

  // Starts reading the next slices, up to READ_AHEAD of them and no further
  // than the window allows past them.
  readAhead() {
    while (this.reads.length < READ_AHEAD && this.readTo < this.size &&
           this.readTo - this.acked < this.windowBytes + READ_AHEAD * this.readBytes) {
      const end = Math.min(this.size, this.readTo + this.readBytes);
      const bytes = this.file.slice(this.readTo, end).arrayBuffer();
      bytes.catch(() => {}); // reported when awaited; not if the upload ended first
      this.reads.push({ start: this.readTo, end, bytes });
      this.readTo = end;
    }
  }

  // The chunk frame for `bytes` (a Uint8Array) at this.sent: one copy.
  frameOf(bytes) {
    const laid = encodeChunkFrame(this.id, this.sent, bytes.byteLength);
    if (!laid) return encodeUploadChunk(this.id, this.sent, bytes.slice().buffer);
    laid.data.set(bytes);
    return laid.frame;
  }

  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.finished && this.sent < this.size && this.sent - this.acked < this.windowBytes) {
        this.readAhead();
        const slice = this.reads[0];
        const bytes = new Uint8Array(await slice.bytes);
        if (this.finished) return;
        if (bytes.byteLength !== slice.end - slice.start) throw new Error('the file changed while it was read');
        const end = Math.min(this.sent + this.chunkBytes, slice.end);
        const frame = this.frameOf(bytes.subarray(this.sent - slice.start, end - slice.start));
        if (end === slice.end) this.reads.shift();
        if (!this.send(frame)) {
          this.lost();
          return;
        }
        this.sentAt.push([end, performance.now()]);
        this.sent = end;
      }
      this.readAhead();
      if (!this.finished && this.sent === this.size && !this.endSent) {
        this.endSent = true;
        this.send(encodeUploadEnd(this.id));
      }
    } catch (err) {
      this.abandon(`Could not read "${this.file.name}": ${err.message}`);
    } finally {
      this.pumping = false;
    }
  }
}

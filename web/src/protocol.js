// Encodes PageMessages and decodes ServerMessages. Every layout comes from the
// bindings generated from ipc/page.capnp; nothing here describes a message.
import { Message } from 'capnp-es';
import { PageMessage, ServerMessage, UploadChunk } from '../generated/page.js';

export { ServerMessage };
export { Notice_Kind as NoticeKind } from '../generated/page.js';
export { UploadStatus_State as UploadState } from '../generated/page.js';
export { QueryReply } from '../generated/page.js';

/** Reads one WebSocket frame (an unpacked message) as a ServerMessage. */
export function decodeServerMessage(buffer) {
  return new Message(buffer, false).getRoot(ServerMessage);
}

function encodePage(fill) {
  const message = new Message();
  fill(message.initRoot(PageMessage));
  return message.toArrayBuffer();
}

export function encodeHello(reconnectToken) {
  return encodePage((page) => {
    page._initHello().reconnectToken = reconnectToken;
  });
}

export function encodeBye() {
  return encodePage((page) => {
    page.bye = true;
  });
}

/**
 * value is one of {clicked: true}, {checked: bool}, {number: float},
 * {text: string}, {index: int}, {removeFile: id}: the WidgetValue union
 * member to set.
 */
export function encodeWidgetChange(widgetId, value) {
  return encodePage((page) => {
    const change = page._initWidgetChange();
    change.widgetId = widgetId;
    const v = change._initValue();
    if ('clicked' in value) v.clicked = true;
    else if ('checked' in value) v.checked = value.checked;
    else if ('number' in value) v.number = value.number;
    else if ('text' in value) v.text = value.text;
    else if ('index' in value) v.index = value.index;
    else if ('removeFile' in value) v.removeFile = value.removeFile;
    else throw new Error('encodeWidgetChange: no value');
  });
}

/**
 * A query for the element `elementId`: what is {rows: {begin, count,
 * sortColumn, descending}}, {download: true} or {points: {xMin, xMax,
 * pixels}}.
 */
export function encodeQuery(queryId, elementId, what) {
  return encodePage((page) => {
    const query = page._initQuery();
    query.queryId = queryId;
    query.elementId = elementId;
    if (what.rows) {
      const rows = query._initRows();
      rows.begin = BigInt(what.rows.begin);
      rows.count = what.rows.count;
      rows.sortColumn = what.rows.sortColumn ?? -1;
      rows.descending = !!what.rows.descending;
    } else if (what.download) {
      query.download = true;
    } else if (what.points) {
      const points = query._initPoints();
      points.xMin = what.points.xMin;
      points.xMax = what.points.xMax;
      points.pixels = what.points.pixels;
    } else {
      throw new Error('encodeQuery: no query');
    }
  });
}

export function encodeUploadBegin(uploadId, widgetId, name, type, size) {
  return encodePage((page) => {
    const begin = page._initUploadBegin();
    begin.uploadId = uploadId;
    begin.widgetId = widgetId;
    begin.name = name;
    begin.type = type;
    begin.size = BigInt(size);
  });
}

/** bytes: an ArrayBuffer with the chunk's contents. */
export function encodeUploadChunk(uploadId, offset, bytes) {
  return encodePage((page) => {
    const chunk = page._initUploadChunk();
    chunk.uploadId = uploadId;
    chunk.offset = BigInt(offset);
    chunk._initData(bytes.byteLength).copyBuffer(bytes);
  });
}

// UploadChunk is the one message the page sends in bulk. capnp-es copies a
// chunk's bytes into its segment and the segment again into the frame, so
// chunk frames are laid out here around the bytes instead, in Cap'n Proto's
// unpacked one-segment encoding of PageMessage{uploadChunk: UploadChunk}:
//   word 0        segment table: one segment of `words` words
//   word 1        root pointer to PageMessage
//   PageMessage   data (union discriminant at byte 0), pointers (uploadChunk first)
//   UploadChunk   data (uploadId at byte 0, offset at byte 8), pointers (data first)
//   the bytes     a List(UInt8), padded to a word
// Section sizes come from the generated bindings; the field offsets are the
// ones they read. chunkLayoutOk says whether a frame built this way decodes,
// with those bindings, to what was put in (checked once when this module
// loads); if it does not (a schema change moved a field), encodeChunkFrame
// returns null and the caller uses encodeUploadChunk.
const WORD = 8;
const PAGE_SIZE = PageMessage._capnp.size;
const CHUNK_SIZE = UploadChunk._capnp.size;
const PAGE_AT = 2; // words: segment table, root pointer
const CHUNK_AT = PAGE_AT + PAGE_SIZE.dataByteLength / WORD + PAGE_SIZE.pointerLength;
const BYTES_AT = CHUNK_AT + CHUNK_SIZE.dataByteLength / WORD + CHUNK_SIZE.pointerLength;

function structPointer(view, at, target, size) {
  view.setUint32(at * WORD, (target - at - 1) << 2, true);
  view.setUint16(at * WORD + 4, size.dataByteLength / WORD, true);
  view.setUint16(at * WORD + 6, size.pointerLength, true);
}

function layChunkFrame(uploadId, offset, length) {
  const words = BYTES_AT + Math.ceil(length / WORD);
  const frame = new ArrayBuffer(words * WORD);
  const view = new DataView(frame);
  view.setUint32(4, words - 1, true);
  structPointer(view, 1, PAGE_AT, PAGE_SIZE);
  view.setUint16(PAGE_AT * WORD, PageMessage.UPLOAD_CHUNK, true);
  structPointer(view, PAGE_AT + PAGE_SIZE.dataByteLength / WORD, CHUNK_AT, CHUNK_SIZE);
  view.setUint32(CHUNK_AT * WORD, uploadId, true);
  view.setBigUint64(CHUNK_AT * WORD + 8, BigInt(offset), true);
  const list = CHUNK_AT + CHUNK_SIZE.dataByteLength / WORD;
  view.setUint32(list * WORD, ((BYTES_AT - list - 1) << 2) | 1, true); // list pointer
  view.setUint32(list * WORD + 4, (length * WORD) | 2, true); // length << 3, byte elements
  return frame;
}

function checkChunkLayout() {
  try {
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const frame = layChunkFrame(0xfedcba98, 2 ** 40 + 3, bytes.length);
    new Uint8Array(frame, BYTES_AT * WORD).set(bytes);
    const page = new Message(frame, false).getRoot(PageMessage);
    if (page.which() !== PageMessage.UPLOAD_CHUNK) return false;
    const chunk = page.uploadChunk;
    const data = new Uint8Array(chunk.data.toArrayBuffer());
    return chunk.uploadId === 0xfedcba98 && chunk.offset === BigInt(2 ** 40 + 3) &&
      data.length === bytes.length && data.every((b, i) => b === bytes[i]);
  } catch {
    return false;
  }
}

export const chunkLayoutOk = checkChunkLayout();

/**
 * An UploadChunk frame for `length` bytes at `offset`, and `data`: the view
 * of the frame where those bytes go (filled by the caller: one copy). null
 * if chunkLayoutOk is false.
 */
export function encodeChunkFrame(uploadId, offset, length) {
  if (!chunkLayoutOk) return null;
  const frame = layChunkFrame(uploadId, offset, length);
  return { frame, data: new Uint8Array(frame, BYTES_AT * WORD, length) };
}

export function encodeUploadEnd(uploadId) {
  return encodePage((page) => {
    page.uploadEnd = uploadId;
  });
}

export function encodeUploadCancel(uploadId) {
  return encodePage((page) => {
    page.uploadCancel = uploadId;
  });
}

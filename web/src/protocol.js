// Encodes PageMessages and decodes ServerMessages. Every layout comes from the
// bindings generated from ipc/page.capnp; nothing here describes a message.
import { Message } from 'capnp-es';
import { PageMessage, ServerMessage } from '../generated/page.js';

export { ServerMessage };
export { Notice_Kind as NoticeKind } from '../generated/page.js';
export { UploadStatus_State as UploadState } from '../generated/page.js';

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

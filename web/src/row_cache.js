// The rows of one st::dataframe grid that the page holds: a few windows
// fetched from the worker (Query.rows), for the grid to draw from. The page
// never holds the whole frame: only the last MAX_BLOCKS windows, each at
// most maxWindowRows long.
//
// Queries are coalesced: window() calls run one after another (the grid's
// draws already do: regular-table awaits one data request before it makes
// the next, for the latest scroll position), so at most one query per grid
// is in flight; and each query asks for more rows than are shown, so small
// scrolls and key presses are answered from what is held.
//
// No DOM here: fetch is injected, so node can exercise it.

const MAX_BLOCKS = 4;
const PREFETCH_FACTOR = 3; // rows asked for per row shown, up to maxWindowRows
const MIN_FETCH_ROWS = 100;

export class RowCache {
  /**
   * fetch(begin, count, sortColumn, descending) returns a promise of rows
   * as cells.js readRows() gives them, or rejects with an Error whose
   * message is for the viewer. rowCount: the frame's rows.
   */
  constructor({ fetch, rowCount, maxWindowRows }) {
    this.fetch = fetch;
    this.rowCount = rowCount;
    this.maxWindowRows = Math.max(1, maxWindowRows || 1);
    this.sortColumn = -1;
    this.descending = false;
    this.blocks = []; // most recently used last
    this.epoch = 0; // bumped when the held rows stop being the frame's
    this.queue = Promise.resolve();
    this.fetches = 0; // queries sent, for tests and the curious
  }

  /** Drops every row held (the frame or its order changed). */
  clear() {
    this.blocks = [];
    this.epoch += 1;
  }

  /** A new frame (update in place): forget its rows, keep the order. */
  reset({ rowCount, maxWindowRows }) {
    this.rowCount = rowCount;
    this.maxWindowRows = Math.max(1, maxWindowRows || 1);
    this.clear();
  }

  /** Rows from now on come sorted by sortColumn (-1: the frame's order). */
  setOrder(sortColumn, descending) {
    if (sortColumn === this.sortColumn && descending === this.descending) return;
    this.sortColumn = sortColumn;
    this.descending = sortColumn >= 0 && descending;
    this.clear();
  }

  /** Holds `rows` (a readRows() result) if they are in the current order. */
  add(rows) {
    const sameOrder =
      rows.sortColumn === this.sortColumn && (rows.sortColumn < 0 || rows.descending === this.descending);
    if (!sameOrder || rows.length === 0) return;
    this.blocks.push(rows);
    while (this.blocks.length > MAX_BLOCKS) this.blocks.shift();
  }

  /**
   * The held block that covers rows [begin, end) (end clamped to the frame),
   * or null. A hit becomes the most recently used.
   */
  find(begin, end) {
    end = Math.min(end, this.rowCount);
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      const block = this.blocks[i];
      if (block.begin <= begin && end <= block.begin + block.length) {
        if (i !== this.blocks.length - 1) {
          this.blocks.splice(i, 1);
          this.blocks.push(block);
        }
        return block;
      }
    }
    return null;
  }

  /**
   * Resolves to a block covering rows [begin, end) in the current order,
   * fetching one if none is held; rejects with the fetch's error. Calls are
   * answered one at a time, in order.
   */
  window(begin, end) {
    const run = () => this.load(begin, end);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  async load(begin, end) {
    begin = Math.max(0, Math.min(begin, this.rowCount));
    end = Math.max(begin, Math.min(end, this.rowCount));
    const held = this.find(begin, end);
    if (held || begin === end) return held ?? { begin, length: 0, columns: [] };
    const shown = end - begin;
    const count = Math.min(this.maxWindowRows, Math.max(MIN_FETCH_ROWS, shown * PREFETCH_FACTOR));
    // Centre the shown rows in what is fetched, within the frame.
    let first = Math.max(0, begin - Math.floor((count - shown) / 2));
    first = Math.max(0, Math.min(first, this.rowCount - count));
    if (first + count < end) first = begin; // a window taller than maxWindowRows
    const epoch = this.epoch;
    this.fetches += 1;
    const rows = await this.fetch(first, count, this.sortColumn, this.descending);
    if (epoch === this.epoch) this.add(rows);
    return rows;
  }
}

// Unit checks (node:test) for the page's data-element helpers that need no
// browser: how cells read (web/src/cells.js) and how a grid's row windows
// are fetched and held (web/src/row_cache.js). Needs web/generated/, which
// web/build.mjs writes (ctest runs this after the page is built).
//
//   node --test tests/web/cells_test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnType } from '../../web/generated/page.js';
import { NULL_TEXT, cellText, formatCell, formatTimestamp } from '../../web/src/cells.js';
import { RowCache } from '../../web/src/row_cache.js';

test('int64 cells keep every digit of a BigInt', () => {
  assert.equal(formatCell(ColumnType.INT64, 9007199254740993n), '9007199254740993');
  assert.equal(formatCell(ColumnType.INT64, -42n), '-42');
});

test('float64 cells drop the noise digits and name the special values', () => {
  assert.equal(formatCell(ColumnType.FLOAT64, 0.1 + 0.2), '0.3');
  assert.equal(formatCell(ColumnType.FLOAT64, 3), '3');
  assert.equal(formatCell(ColumnType.FLOAT64, -1.5e-9), '-1.5e-9');
  assert.equal(formatCell(ColumnType.FLOAT64, NaN), 'NaN');
  assert.equal(formatCell(ColumnType.FLOAT64, -Infinity), '-inf');
});

test('timestamps read as ISO 8601 in UTC, with only the fraction they have', () => {
  assert.equal(formatTimestamp(0n), '1970-01-01T00:00:00Z');
  assert.equal(formatTimestamp(1709294400250000000n), '2024-03-01T12:00:00.250Z');
  assert.equal(formatTimestamp(1709294400000001000n), '2024-03-01T12:00:00.000001Z');
  assert.equal(formatTimestamp(1709294400000000007n), '2024-03-01T12:00:00.000000007Z');
  assert.equal(formatTimestamp(-1n), '1969-12-31T23:59:59.999999999Z');
  assert.equal(formatCell(ColumnType.TIMESTAMP, 86400000000000n), '1970-01-02T00:00:00Z');
});

test('a null cell reads as null whatever its column holds', () => {
  const column = { values: [1n, 0n], nulls: [false, true] };
  assert.equal(cellText(ColumnType.INT64, column, 0), '1');
  assert.equal(cellText(ColumnType.INT64, column, 1), NULL_TEXT);
  assert.equal(cellText(ColumnType.BOOL, { values: [false], nulls: null }, 0), 'false');
});

// A fake worker: rows [begin, begin+count) of a frame of `rowCount` rows,
// one int64 column holding the row's number; answers when told to.
function fakeWorker(rowCount) {
  const asked = [];
  const pending = [];
  const fetch = (begin, count, sortColumn, descending) =>
    new Promise((resolve) => {
      asked.push({ begin, count, sortColumn, descending });
      const end = Math.min(rowCount, begin + count);
      const values = [];
      for (let r = begin; r < end; r++) values.push(BigInt(descending ? rowCount - 1 - r : r));
      pending.push(() => resolve({ begin, sortColumn, descending, length: values.length, columns: [{ values, nulls: null }] }));
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const answerAll = async () => {
    await settle(); // queries are sent from a promise callback
    while (pending.length) pending.shift()();
    await settle();
  };
  return { fetch, asked, answerAll };
}

test('a grid asks for more rows than it shows, so nearby windows need no query', async () => {
  const worker = fakeWorker(1000000);
  const cache = new RowCache({ fetch: worker.fetch, rowCount: 1000000, maxWindowRows: 500 });
  const first = cache.window(5000, 5020);
  await worker.answerAll();
  const block = await first;
  assert.ok(block.begin <= 5000 && block.begin + block.length >= 5020);
  assert.ok(worker.asked[0].count <= 500);
  await cache.window(5010, 5030);
  assert.equal(worker.asked.length, 1);
});

test('at most one query is in flight; the next waits for its answer', async () => {
  const worker = fakeWorker(1000000);
  const cache = new RowCache({ fetch: worker.fetch, rowCount: 1000000, maxWindowRows: 100 });
  const a = cache.window(0, 20);
  const b = cache.window(900000, 900020);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(worker.asked.length, 1);
  await worker.answerAll();
  await a;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(worker.asked.length, 2);
  await worker.answerAll();
  assert.equal((await b).columns[0].values[900000 - (await b).begin], 900000n);
});

test('a window at the end of the frame stays inside it', async () => {
  const worker = fakeWorker(1000000);
  const cache = new RowCache({ fetch: worker.fetch, rowCount: 1000000, maxWindowRows: 300 });
  const last = cache.window(999990, 1000010);
  await worker.answerAll();
  const block = await last;
  assert.equal(block.begin + block.length, 1000000);
  assert.equal(worker.asked[0].begin + worker.asked[0].count, 1000000);
});

test('a new order drops the rows held and asks in that order', async () => {
  const worker = fakeWorker(1000);
  const cache = new RowCache({ fetch: worker.fetch, rowCount: 1000, maxWindowRows: 100 });
  const before = cache.window(0, 10);
  await worker.answerAll();
  await before;
  cache.setOrder(0, true);
  const after = cache.window(0, 10);
  await worker.answerAll();
  assert.equal((await after).columns[0].values[0], 999n);
  assert.deepEqual(
    worker.asked.map((q) => [q.sortColumn, q.descending]),
    [
      [-1, false],
      [0, true],
    ],
  );
});

test('rows that arrive after the order changed are not kept', async () => {
  const worker = fakeWorker(1000);
  const cache = new RowCache({ fetch: worker.fetch, rowCount: 1000, maxWindowRows: 100 });
  const stale = cache.window(0, 10);
  await new Promise((resolve) => setImmediate(resolve));
  cache.setOrder(0, true);
  await worker.answerAll();
  await stale;
  assert.equal(cache.find(0, 10), null);
});

test('a refused query rejects that window and the next one is asked again', async () => {
  let refuse = true;
  const asked = [];
  const fetch = async (begin, count) => {
    asked.push(begin);
    if (refuse) throw new Error('too many queries');
    return { begin, sortColumn: -1, descending: false, length: count, columns: [{ values: new Array(count).fill(1n), nulls: null }] };
  };
  const cache = new RowCache({ fetch, rowCount: 1000, maxWindowRows: 100 });
  await assert.rejects(cache.window(0, 10), /too many queries/);
  refuse = false;
  assert.equal((await cache.window(0, 10)).length, 100);
  assert.equal(asked.length, 2);
});

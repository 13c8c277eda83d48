// Cells of st::dataframe and st::table (Rows/Cells in ipc/page.capnp): how
// a column's values read as text, shared by both kinds so that a number or
// a timestamp looks the same in the grid and in the static table.
//
// readRows() copies a Rows reader into plain arrays (the reader's bytes
// belong to the socket's frame); formatCell() turns one value into the text
// shown. Neither touches the DOM, so node can check them without a browser.
import { Cells, ColumnType } from '../generated/page.js';

/** What a null cell shows (muted by the kinds' CSS). */
export const NULL_TEXT = 'null';

const TYPE_NAMES = {
  [ColumnType.INT64]: 'int64',
  [ColumnType.FLOAT64]: 'float64',
  [ColumnType.BOOL]: 'bool',
  [ColumnType.STRING]: 'string',
  [ColumnType.TIMESTAMP]: 'timestamp',
};

/** The name a column's type has in its header ("int64", "timestamp", ...). */
export function typeName(type) {
  return TYPE_NAMES[type] ?? 'unknown';
}

/** Numbers are right-aligned, so that their digits line up. */
export function isNumeric(type) {
  return type === ColumnType.INT64 || type === ColumnType.FLOAT64;
}

/** A List(ColumnInfo) reader as [{name, type}]. */
export function readColumns(list) {
  const columns = [];
  for (let i = 0; i < list.length; i++) {
    const info = list.get(i);
    columns.push({ name: info.name, type: info.type });
  }
  return columns;
}

function listToArray(list) {
  const out = new Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = list.get(i);
  return out;
}

function cellValues(cells) {
  switch (cells.which()) {
    case Cells.INT64:
      return listToArray(cells.int64);
    case Cells.FLOAT64:
      return listToArray(cells.float64);
    case Cells.BOOL:
      return listToArray(cells.bool);
    case Cells.STRING:
      return listToArray(cells.string);
    case Cells.TIMESTAMP:
      return listToArray(cells.timestamp);
    default:
      return [];
  }
}

/**
 * A Cells reader as {values, nulls}: nulls is an array of booleans, or null
 * when no cell there is null.
 */
export function readCells(cells) {
  return { values: cellValues(cells), nulls: cells.nulls.length > 0 ? listToArray(cells.nulls) : null };
}

/**
 * A Rows reader as {begin, sortColumn, descending, length, columns}, where
 * columns[c] = {values, nulls} (nulls: an array of booleans, or null when
 * no cell of that window is null) and length is the shortest column's.
 */
export function readRows(rows) {
  const columns = [];
  let length = Infinity;
  for (let c = 0; c < rows.columns.length; c++) {
    const column = readCells(rows.columns.get(c));
    columns.push(column);
    length = Math.min(length, column.values.length);
  }
  return {
    begin: Number(rows.begin),
    sortColumn: rows.sortColumn,
    descending: rows.descending,
    length: columns.length ? length : 0,
    columns,
  };
}

/** True when row `i` of a column read by readRows() is null. */
export function isNull(column, i) {
  return column.nulls !== null && column.nulls[i] === true;
}

/** The text of one non-null value of a column of `type`. */
export function formatCell(type, value) {
  switch (type) {
    case ColumnType.INT64:
      return String(value); // a BigInt: every digit is kept
    case ColumnType.FLOAT64:
      return formatFloat(value);
    case ColumnType.BOOL:
      return value ? 'true' : 'false';
    case ColumnType.TIMESTAMP:
      return formatTimestamp(BigInt(value));
    default:
      return String(value);
  }
}

/** Row `i` of `column` (from readRows) as shown: its text, or NULL_TEXT. */
export function cellText(type, column, i) {
  return isNull(column, i) ? NULL_TEXT : formatCell(type, column.values[i]);
}

// Twelve significant digits: a double's last digits are mostly noise
// (0.1 + 0.2 shows 0.3), and integers up to 1e12 still show every digit.
function formatFloat(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(12)));
}

const NS_PER_MS = 1000000n;

// ISO 8601 in UTC with a Z, fractional seconds only as long as needed
// (none, milliseconds, microseconds or nanoseconds): 2024-03-01T12:00:00Z,
// 2024-03-01T12:00:00.250Z, 2024-03-01T12:00:00.000001Z.
export function formatTimestamp(ns) {
  let ms = ns / NS_PER_MS;
  let subMs = ns % NS_PER_MS; // BigInt division truncates toward zero
  if (subMs < 0n) {
    subMs += NS_PER_MS;
    ms -= 1n;
  }
  // Any int64 of nanoseconds is within Date's range (±8.64e15 ms).
  const iso = new Date(Number(ms)).toISOString(); // ...T12:00:00.250Z
  const whole = iso.slice(0, iso.length - 5); // drop ".250Z"
  let fraction = iso.slice(iso.length - 4, iso.length - 1) + String(subMs).padStart(6, '0');
  fraction = fraction.replace(/(?:000)+$/, '');
  return fraction ? `${whole}.${fraction}Z` : `${whole}Z`;
}

/**
 * CSS both kinds adopt (dom.js adoptStyle) for their cells: numbers to the
 * right in tabular figures, nulls muted and italic, the type under a
 * column's name.
 */
export const CELL_CSS = `
.cell-num { text-align: right; font-variant-numeric: tabular-nums; }
.cell-null { color: var(--muted); font-style: italic; }
.column-type { display: block; font-size: 0.75em; font-weight: 400; color: var(--muted); }
`;

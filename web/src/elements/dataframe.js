// st::dataframe: an interactive grid over a frame that stays in the worker.
// The page never receives the whole frame: the element brings its first
// rows, and the grid asks the worker for the rows it shows (a rows query,
// no rerun) as the viewer scrolls; sorting by a column happens in the worker
// too, so a header click (or Enter on a header) asks again in the new order.
//
// regular-table (a chunk of its own, ../grid.js, loaded with import() when
// the first grid is made) renders only the visible cells and asks an async data
// listener for them, one request at a time for the latest scroll position:
// that, and RowCache's prefetch (../row_cache.js), keeps queries to at most
// one in flight per grid. This module is the glue: the listener, ARIA grid
// semantics, keyboard movement, sorting, and the caption.
//
// Accessibility: the <table> is role=grid and takes focus; aria-rowcount
// counts the header row and every row of the frame (not just those drawn),
// each drawn row carries its aria-rowindex (header = 1, frame row r = r + 2),
// the sorted header carries aria-sort, and the active cell is announced
// through aria-activedescendant. Keys: arrows, PageUp/PageDown, Home/End
// (first/last row; with Ctrl too), Enter or Space on a header sorts.
import { Element, QueryReply } from '../../generated/page.js';
import { CELL_CSS, NULL_TEXT, formatCell, isNull, isNumeric, readColumns, readRows, typeName } from '../cells.js';
import { adoptStyle, make, uniqueId } from '../dom.js';
import { RowCache } from '../row_cache.js';

export const member = Element.DATAFRAME;

const DEFAULT_HEIGHT_PX = 400;
const ROW_PX = 28; // td height in GRID_CSS; regular-table measures it too
const RETRY_MS = 1000;

const GRID_CSS = `
.dataframe-frame { position: relative; border: 1px solid var(--border); border-radius: 0.5rem; overflow: hidden; }
.dataframe-frame:has(table:focus-visible) { outline: 2px solid var(--accent); outline-offset: 1px; }
.dataframe regular-table { overflow: auto; font-size: 0.875rem; outline: none; }
.dataframe regular-table table { outline: none; border-collapse: collapse; }
.dataframe regular-table td, .dataframe regular-table th {
  height: ${ROW_PX}px; padding: 0 0.5rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  border-bottom: 1px solid rgba(49, 51, 63, 0.1); box-sizing: border-box; line-height: ${ROW_PX - 1}px;
}
.dataframe regular-table thead th {
  position: relative; text-align: left; font-weight: 600; background: #f8f9fb; cursor: pointer; user-select: none;
  border-bottom: 1px solid var(--border);
}
.dataframe regular-table thead th.cell-num { text-align: right; }
.dataframe regular-table thead th:hover { background: #eef0f4; }
.dataframe .column-type { display: inline; margin-left: 0.125rem; font-size: 0.75em; }
/* The arrow is for the eye: aria-sort already tells, so it has no text. */
.dataframe regular-table th[aria-sort="ascending"] .column-name::after { content: " \\2191" / ""; }
.dataframe regular-table th[aria-sort="descending"] .column-name::after { content: " \\2193" / ""; }
.dataframe regular-table .rt-column-resize { position: absolute; top: 0; right: 0; width: 8px; height: 100%; cursor: col-resize; }
.dataframe regular-table .rt-column-resize:hover { background: var(--border); }
.dataframe regular-table .rt-cell-clip { overflow: hidden; text-overflow: ellipsis; }
.dataframe regular-table tbody tr:hover td { background: rgba(49, 51, 63, 0.04); }
.dataframe regular-table .cell-pending { color: var(--muted); }
.dataframe regular-table .cell-active { box-shadow: inset 0 0 0 2px var(--accent); }
.dataframe-caption { color: var(--muted); font-size: 0.875rem; padding-top: 0.375rem; }
.dataframe-problem { color: #b42318; font-size: 0.875rem; }
`;

let loading = null;

// Loads regular-table's chunk (../grid.js); a failed load is tried again by
// the next grid.
function loadGrid() {
  loading ??= import('../grid.js').then(
    (module) => {
      adoptStyle(module.SUB_CELL_CSS);
      return customElements.whenDefined('regular-table');
    },
    (err) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

const countFormat = new Intl.NumberFormat('en-US');

function plural(n, word) {
  return `${countFormat.format(n)} ${word}${n === 1 ? '' : 's'}`;
}

// The DataFrame reader as plain values (readers belong to their frame).
function readFrame(reader) {
  return {
    id: reader.id,
    generation: reader.generation,
    rowCount: Number(reader.rowCount),
    columns: readColumns(reader.columns),
    height: reader.height,
    maxWindowRows: reader.maxWindowRows,
    first: readRows(reader.first),
  };
}

function sameColumns(a, b) {
  return a.length === b.length && a.every((column, i) => column.name === b[i].name && column.type === b[i].type);
}

// One header cell's contents: the name, then its type, muted.
function headerNode(column) {
  const span = make('span', 'column-header');
  // The space keeps "price float64" two words for a screen reader.
  span.append(make('span', 'column-name', column.name), ' ', make('span', 'column-type', typeName(column.type)));
  return span;
}

export function create(element, { signal, query }) {
  adoptStyle(CELL_CSS);
  adoptStyle(GRID_CSS);
  let df = readFrame(element.dataframe);
  let headers = df.columns.map(headerNode); // reused: regular-table skips unchanged ones
  let sort = { column: -1, descending: false };
  let active = null; // {row, col}: the cell keys move; row -1 is the header
  let stopQuery = null;
  let retryTimer = null;
  let disposed = false;
  let grid = null; // the <regular-table>, once its chunk has loaded
  let table = null; // its <table>, once drawn

  const node = make('div', 'dataframe');
  const frame = make('div', 'dataframe-frame');
  const caption = make('div', 'dataframe-caption');
  caption.id = uniqueId('dataframe-caption');
  const problem = make('div', 'dataframe-problem');
  problem.setAttribute('role', 'status');
  problem.hidden = true;
  node.append(frame, caption, problem);
  const activeId = uniqueId('dataframe-cell');

  let frameEpoch = 0; // bumped by update() to another frame
  // A reply for a frame shown before is not an error: it is no rows.
  const fetchRows = (begin, count, sortColumn, descending) =>
    new Promise((resolve, reject) => {
      const epoch = frameEpoch;
      const stop = query(df.id, { rows: { begin, count, sortColumn, descending } }, (reply) => {
        stop?.();
        if (stopQuery === stop) stopQuery = null;
        if (epoch !== frameEpoch) resolve({ begin, sortColumn, descending, length: 0, columns: [] });
        else if (reply.which() === QueryReply.ROWS) resolve(readRows(reply.rows));
        else reject(new Error(reply.error || 'the rows could not be loaded'));
      });
      stopQuery = stop;
    });
  const rows = new RowCache({ fetch: fetchRows, rowCount: df.rowCount, maxWindowRows: df.maxWindowRows });
  rows.add(df.first);

  const showCaption = () => {
    let text = `${plural(df.rowCount, 'row')} × ${plural(df.columns.length, 'column')}`;
    if (sort.column >= 0) {
      text += `, sorted by ${df.columns[sort.column]?.name} (${sort.descending ? 'descending' : 'ascending'})`;
    }
    caption.textContent = text;
  };

  const showProblem = (message) => {
    problem.hidden = !message;
    problem.textContent = message ? `Rows could not be loaded: ${message}` : '';
    if (message && !retryTimer && !disposed) {
      retryTimer = setTimeout(() => {
        retryTimer = null;
        grid?.draw();
      }, RETRY_MS);
    }
  };

  const sizeFrame = () => {
    const fit = (df.rowCount + 1) * ROW_PX + 16; // room for a horizontal scrollbar
    frame.style.height = `${df.height > 0 ? df.height : Math.min(DEFAULT_HEIGHT_PX, fit)}px`;
  };

  // regular-table's data listener: the cells of columns [x0, x1) and rows
  // [y0, y1), as text, with metadata 'null' / 'pending' per cell for styling.
  const dataListener = async (x0, y0, x1, y1) => {
    const columns = df.columns;
    x1 = Math.min(x1, columns.length);
    y1 = Math.min(y1, df.rowCount);
    const response = {
      num_rows: df.rowCount,
      num_columns: columns.length,
      num_row_headers: 0,
      num_column_headers: 1,
      column_headers: [],
      data: [],
      metadata: [],
    };
    for (let x = x0; x < x1; x++) response.column_headers.push([headers[x]]);
    let block = null;
    if (y1 > y0 && x1 > x0) {
      try {
        block = await rows.window(y0, y1);
        showProblem(null);
      } catch (err) {
        if (!disposed) showProblem(err.message);
      }
    }
    for (let x = x0; x < x1; x++) {
      const type = columns[x].type;
      const cells = block?.columns[x];
      const data = [];
      const meta = [];
      for (let y = y0; y < y1; y++) {
        const i = y - (block?.begin ?? 0);
        if (!cells || i < 0 || i >= block.length) {
          data.push('');
          meta.push('pending');
        } else if (isNull(cells, i)) {
          data.push(NULL_TEXT);
          meta.push('null');
        } else {
          data.push(formatCell(type, cells.values[i]));
          meta.push('');
        }
      }
      response.data.push(data);
      response.metadata.push(meta);
    }
    return response;
  };

  // After every draw: ARIA attributes and classes of the cells now drawn
  // (regular-table reuses cells for other rows as it scrolls).
  const styleCells = () => {
    if (!grid) return;
    table = grid.querySelector(':scope > table');
    if (!table) return;
    // The table, not the scroll box, is the grid that takes focus (the box
    // makes itself tabbable when it is connected).
    grid.tabIndex = -1;
    table.setAttribute('role', 'grid');
    table.tabIndex = 0;
    table.setAttribute('aria-rowcount', String(df.rowCount + 1));
    table.setAttribute('aria-colcount', String(df.columns.length));
    table.setAttribute('aria-labelledby', caption.id);
    let activeCell = null;
    for (const tr of table.querySelectorAll(':scope > thead > tr')) {
      tr.setAttribute('aria-rowindex', '1');
      for (const th of tr.children) {
        const x = grid.getMeta(th)?.x;
        if (x === undefined) continue;
        th.setAttribute('aria-colindex', String(x + 1));
        th.classList.toggle('cell-num', isNumeric(df.columns[x]?.type));
        if (x === sort.column) th.setAttribute('aria-sort', sort.descending ? 'descending' : 'ascending');
        else th.removeAttribute('aria-sort');
        if (active?.row === -1 && active.col === x) activeCell = th;
      }
    }
    for (const tr of table.querySelectorAll(':scope > tbody > tr')) {
      let rowIndex = null;
      for (const td of tr.children) {
        const meta = grid.getMeta(td);
        if (meta?.x === undefined || meta.y === undefined) continue;
        rowIndex ??= meta.y + 2;
        td.setAttribute('role', 'gridcell');
        td.setAttribute('aria-colindex', String(meta.x + 1));
        td.classList.toggle('cell-num', isNumeric(df.columns[meta.x]?.type));
        td.classList.toggle('cell-null', meta.user === 'null');
        td.classList.toggle('cell-pending', meta.user === 'pending');
        if (active?.row === meta.y && active.col === meta.x) activeCell = td;
      }
      if (rowIndex !== null) tr.setAttribute('aria-rowindex', String(rowIndex));
    }
    markActive(activeCell);
  };

  const markActive = (cell) => {
    const previous = table?.querySelector(`#${activeId}`);
    if (previous && previous !== cell) {
      previous.removeAttribute('id');
      previous.classList.remove('cell-active');
    }
    if (cell) {
      cell.id = activeId;
      cell.classList.add('cell-active');
      table.setAttribute('aria-activedescendant', activeId);
    } else {
      table?.removeAttribute('aria-activedescendant');
    }
  };

  const setSort = (column) => {
    if (sort.column !== column) sort = { column, descending: false };
    else if (!sort.descending) sort = { column, descending: true };
    else sort = { column: -1, descending: false };
    rows.setOrder(sort.column, sort.descending);
    showCaption();
    if (grid) {
      grid.scrollTop = 0;
      grid.draw();
    }
  };

  // The rows [first, last] wholly inside the grid's viewport, as drawn.
  const visibleRows = () => {
    const box = grid.getBoundingClientRect();
    const headBottom = table?.tHead?.getBoundingClientRect().bottom ?? box.top;
    const bottom = box.top + grid.clientHeight;
    let first = Infinity;
    let last = -Infinity;
    let height = ROW_PX;
    for (const tr of table?.tBodies[0]?.rows ?? []) {
      const y = grid.getMeta(tr.cells[0])?.y;
      const rect = tr.getBoundingClientRect();
      if (y === undefined || rect.height === 0) continue;
      height = rect.height;
      if (rect.top >= headBottom - 1 && rect.bottom <= bottom + 1) {
        first = Math.min(first, y);
        last = Math.max(last, y);
      }
    }
    const shown = Math.max(1, Math.floor((bottom - headBottom) / height));
    return { first, last, shown, height, headBottom };
  };

  // Scrolls so that frame row `row` (and column `col`) is wholly shown.
  // regular-table maps scrollTop to rows proportionally (its scroll area is
  // capped in height, so a pixel may be many rows), so the position is
  // worked out from that proportion and then corrected once drawn.
  let revealing = 0; // the latest reveal(): an earlier one's correction is dropped
  const reveal = (row, col, attempts = 3, token = ++revealing) => {
    if (!grid || !table || token !== revealing) return;
    const { first, last, shown, height } = visibleRows();
    const maxScroll = grid.scrollHeight - grid.clientHeight;
    if (row >= 0 && !(first <= row && row <= last) && maxScroll > 0) {
      const clipRows = (grid.clientHeight - (table.tHead?.offsetHeight ?? height)) / height;
      const scrollable = Math.max(1, df.rowCount - clipRows);
      const top = row < first || first === Infinity ? row : row - shown + 1;
      let target = (Math.max(0, top) / scrollable) * maxScroll;
      if (row === 0) target = 0;
      if (row === df.rowCount - 1) target = maxScroll;
      else if (row >= first && first !== Infinity) target = Math.ceil(target);
      else target = Math.floor(target);
      if (Math.abs(grid.scrollTop - target) < 1 && attempts < 3) {
        target += row > last ? maxScroll / scrollable : -maxScroll / scrollable;
      }
      const before = grid.scrollTop;
      grid.scrollTop = Math.max(0, Math.min(maxScroll, target));
      if (attempts > 0 && grid.scrollTop !== before) {
        grid.addEventListener('regular-table-scroll', () => reveal(row, col, attempts - 1, token), { once: true });
      }
    }
    const cell = [...(table.tHead?.rows[0]?.cells ?? [])].find((th) => grid.getMeta(th)?.x === col);
    if (cell) {
      const box = grid.getBoundingClientRect();
      const rect = cell.getBoundingClientRect();
      if (rect.left < box.left) grid.scrollLeft -= box.left - rect.left;
      else if (rect.right > box.left + grid.clientWidth) grid.scrollLeft += rect.right - (box.left + grid.clientWidth);
    } else {
      const x = grid.getMeta(table.tHead?.rows[0]?.cells[0])?.x ?? 0;
      grid.scrollLeft += col < x ? -100 : 100;
    }
    styleCells();
  };

  const onKey = (event) => {
    if (event.target !== table) return;
    const n = df.rowCount;
    const last = df.columns.length - 1;
    if (last < 0) return;
    active ??= { row: n > 0 ? 0 : -1, col: 0 };
    let { row, col } = active;
    const page = Math.max(1, visibleRows().shown - 1);
    switch (event.key) {
      case 'ArrowDown':
        row = Math.min(n - 1, row + 1);
        break;
      case 'ArrowUp':
        row = Math.max(-1, row - 1);
        break;
      case 'ArrowRight':
        col = Math.min(last, col + 1);
        break;
      case 'ArrowLeft':
        col = Math.max(0, col - 1);
        break;
      case 'PageDown':
        row = Math.min(n - 1, Math.max(0, row + page));
        break;
      case 'PageUp':
        row = Math.max(0, row - page);
        break;
      case 'Home':
        row = n > 0 ? 0 : -1;
        if (event.ctrlKey || event.metaKey) col = 0;
        break;
      case 'End':
        row = n - 1;
        if (event.ctrlKey || event.metaKey) col = last;
        break;
      case 'Enter':
      case ' ':
        if (row !== -1) return;
        event.preventDefault();
        setSort(col);
        return;
      default:
        return;
    }
    event.preventDefault();
    active = { row, col };
    reveal(row, col);
  };

  // Tabbing in makes a cell active at once, so a screen reader has one to read.
  const onFocus = (event) => {
    if (event.target !== table || active) return;
    const { first } = visibleRows();
    active = { row: Number.isFinite(first) ? first : -1, col: 0 };
    styleCells();
  };

  let pressedOnResize = false;
  const onMouseDown = (event) => {
    pressedOnResize = !!event.target.closest?.('.rt-column-resize');
    const cell = event.target.closest?.('td, th');
    const meta = cell && grid.getMeta(cell);
    if (meta?.x === undefined) return;
    active = { row: cell.tagName === 'TH' ? -1 : meta.y, col: meta.x };
    styleCells();
  };
  const onClick = (event) => {
    if (pressedOnResize || event.target.closest?.('.rt-column-resize')) return;
    const th = event.target.closest?.('thead th');
    const x = th && grid.getMeta(th)?.x;
    if (x !== undefined && x !== null) setSort(x);
  };

  const mount = () => {
    if (disposed || grid) return;
    grid = document.createElement('regular-table');
    frame.append(grid);
    grid.setDataListener(dataListener, { virtual_mode: 'both' });
    grid.addStyleListener(styleCells);
    grid.addEventListener('keydown', onKey, { signal });
    grid.addEventListener('mousedown', onMouseDown, { signal });
    grid.addEventListener('click', onClick, { signal });
    grid.addEventListener('focusin', onFocus, { signal });
    grid.draw();
  };

  showCaption();
  sizeFrame();
  loadGrid().then(mount, (err) => {
    if (!disposed) showProblem(`the grid could not be loaded (${err.message})`);
  });

  return {
    node,
    // Same frame: nothing to fetch. Another frame (a new id or generation):
    // drop the rows held and ask for the visible ones; the scroll position
    // and order stay when its columns are the same ones.
    update(e) {
      const next = readFrame(e.dataframe);
      const sameFrame = next.id === df.id && next.generation === df.generation;
      const keep = sameColumns(next.columns, df.columns);
      df = next;
      sizeFrame();
      if (sameFrame) {
        showCaption();
        return true;
      }
      if (!keep) {
        headers = df.columns.map(headerNode);
        sort = { column: -1, descending: false };
        active = null;
      }
      frameEpoch += 1;
      rows.reset({ rowCount: df.rowCount, maxWindowRows: df.maxWindowRows });
      rows.setOrder(sort.column, sort.descending);
      rows.add(df.first);
      if (active && active.row >= df.rowCount) active = { row: df.rowCount - 1, col: active.col };
      showCaption();
      if (grid) {
        if (!keep) {
          grid.resetAutoSize();
          grid.scrollTop = 0;
          grid.scrollLeft = 0;
        }
        grid.draw();
      }
      return true;
    },
    dispose() {
      disposed = true;
      stopQuery?.();
      clearTimeout(retryTimer);
    },
  };
}

// st::table: a plain, static <table> of every row the worker sent (all of
// a frame's rows up to its limit; then the first ones, and the caption says
// how many were left out). Cells read as in st::dataframe (../cells.js).
import { Element } from '../../generated/page.js';
import { CELL_CSS, NULL_TEXT, cellText, isNull, isNumeric, readColumns, readRows, typeName } from '../cells.js';
import { adoptStyle, make } from '../dom.js';

export const member = Element.TABLE;

const countFormat = new Intl.NumberFormat('en-US');

function plural(n, word) {
  return `${countFormat.format(n)} ${word}${n === 1 ? '' : 's'}`;
}

export function create(element) {
  adoptStyle(CELL_CSS);
  adoptStyle(`
.static-table { overflow-x: auto; }
.static-table table { border-collapse: collapse; font-size: 0.875rem; min-width: 100%; }
.static-table caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 0.875rem; padding-top: 0.375rem; }
.static-table th, .static-table td { padding: 0.25rem 0.75rem; border-bottom: 1px solid var(--border); white-space: nowrap; }
.static-table th { text-align: left; font-weight: 600; vertical-align: bottom; }
.static-table th.cell-num { text-align: right; }
.static-table tbody tr:hover { background: rgba(49, 51, 63, 0.04); }
`);
  const node = make('div', 'static-table');
  const update = (e) => {
    const { columns: columnList, rows: rowsReader, omittedRows } = e.table;
    const columns = readColumns(columnList);
    const rows = readRows(rowsReader);
    const table = make('table');
    const caption = make('caption');
    const omitted = Number(omittedRows);
    caption.textContent =
      omitted > 0
        ? `${plural(rows.length, 'row')} shown; ${plural(omitted, 'more row')} left out`
        : `${plural(rows.length, 'row')} × ${plural(columns.length, 'column')}`;
    const head = make('thead');
    const headRow = make('tr');
    for (const column of columns) {
      const th = make('th', isNumeric(column.type) ? 'cell-num' : '', column.name);
      th.scope = 'col';
      th.append(make('span', 'column-type', typeName(column.type)));
      headRow.append(th);
    }
    head.append(headRow);
    const body = make('tbody');
    for (let r = 0; r < rows.length; r++) {
      const tr = make('tr');
      columns.forEach((column, c) => {
        const cells = rows.columns[c];
        const td = make('td', isNumeric(column.type) ? 'cell-num' : '');
        if (cells && isNull(cells, r)) {
          td.classList.add('cell-null');
          td.textContent = NULL_TEXT;
        } else {
          td.textContent = cells ? cellText(column.type, cells, r) : '';
        }
        tr.append(td);
      });
      body.append(tr);
    }
    table.append(caption, head, body);
    node.replaceChildren(table);
  };
  update(element);
  return { node, update };
}

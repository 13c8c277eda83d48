// st::vega_lite_chart: a Vega-Lite spec drawn by vega-embed, over the rows
// the worker sent with it (every row of the app's frame, as columns).
//
// vega-embed, Vega and Vega-Lite are about 1 MB: they are a chunk of their
// own (../vega.js), fetched with import() when the first chart is made.
// Everything the element carries is read before that await (a reader
// belongs to its frame).
//
// The page's side of the contract (include/sluice/vega_lite.hpp):
// - The frame's rows become the dataset the spec names in its top-level
//   "data": {"name": N} (passed as the spec's "datasets"), or, when the spec
//   has no "data", dataset "table" as its data. int64 cells arrive as
//   numbers, timestamps as Dates, nulls as null.
// - Expressions are interpreted (vega-interpreter, `ast: true`), never
//   compiled with `new Function`, so the chart draws under a
//   Content-Security-Policy without 'unsafe-eval'. vega-embed's and
//   vega-tooltip's <style> elements are off (an inline style a strict CSP
//   refuses); their few rules are adopted below. A spec's own
//   usermeta.embedOptions is dropped: how the chart is embedded is the
//   page's choice, not the spec's (it could turn these off).
// - Nothing is fetched: the loader refuses every URL (data, images), so a
//   spec cannot make the viewer's browser call out.
// - Width follows the column ("container") unless the spec sets one or is
//   a composition that cannot fit a container (concat, facet, repeat); the
//   element's height, when set, is the spec's.
// - No actions menu. The chart is a figure named by the spec's title, else
//   its description. Up to SVG_MAX_ROWS rows it is drawn as SVG (its marks
//   are in the DOM, with Vega's ARIA roles), past that on a canvas.
import { ColumnType, Element } from '../../generated/page.js';
import { readCells, readColumns } from '../cells.js';
import { adoptStyle, make } from '../dom.js';

export const member = Element.VEGA_LITE_CHART;

const DEFAULT_DATASET = 'table';
const SVG_MAX_ROWS = 5000;
// Views Vega-Lite cannot size to a container's width.
const COMPOSITIONS = ['concat', 'hconcat', 'vconcat', 'facet', 'repeat'];

const STYLE = `
.vega-lite-chart { position: relative; min-height: 2rem; }
.vega-lite-chart .chart-pending { position: absolute; top: 0; left: 0; right: 0; visibility: hidden; }
.vega-lite-chart .vega-embed { display: block; width: 100%; }
.vega-lite-chart .vega-embed svg, .vega-lite-chart .vega-embed canvas { display: block; max-width: 100%; }
.vega-lite-chart .chart-error { color: var(--error, #b3261e); font-size: 0.875rem; white-space: pre-wrap; }
#vg-tooltip-element { visibility: hidden; position: fixed; z-index: 1000; padding: 8px;
  font: 11px sans-serif; white-space: pre-line; border-radius: 3px;
  background: rgba(255, 255, 255, 0.95); border: 1px solid #d9d9d9; color: black;
  box-shadow: 2px 2px 4px rgba(0, 0, 0, 0.1); }
#vg-tooltip-element.visible { visibility: visible; }
#vg-tooltip-element h2 { margin: 0 0 10px; font-size: 13px; }
#vg-tooltip-element table { border-spacing: 0; }
#vg-tooltip-element td { padding: 2px 0; vertical-align: text-top; }
#vg-tooltip-element td.key { color: #808080; max-width: 150px; text-align: right; padding-right: 4px; }
#vg-tooltip-element td.value { max-width: 300px; text-align: left; }
`;

let loading = null;

// Loads the vega chunk; a failed load is tried again by the next chart.
function loadVega() {
  loading ??= import('../vega.js').catch((err) => {
    loading = null;
    throw err;
  });
  return loading;
}

function refuse(uri) {
  return Promise.reject(new Error(`charts load nothing from a URL (${uri}): pass the data as a frame`));
}
const REFUSING_LOADER = { load: refuse, sanitize: refuse, http: refuse, file: refuse };

// A cell as Vega reads it.
function converterOf(type) {
  switch (type) {
    case ColumnType.INT64:
      return (v) => Number(v);
    case ColumnType.TIMESTAMP:
      return (v) => new Date(Number(v) / 1e6); // nanoseconds -> milliseconds
    default:
      return (v) => v;
  }
}

// The element's columns as one object a row ([] without a frame).
function readDataset(chart) {
  const columns = readColumns(chart.columns);
  const cells = [];
  for (let c = 0; c < chart.cells.length && c < columns.length; c++) cells.push(readCells(chart.cells.get(c)));
  if (cells.length === 0) return { columns: [], rows: [] };
  const length = Math.min(...cells.map((column) => column.values.length));
  const rows = new Array(length);
  for (let r = 0; r < length; r++) rows[r] = {};
  cells.forEach((column, c) => {
    const { name, type } = columns[c];
    const convert = converterOf(type);
    for (let r = 0; r < length; r++) {
      rows[r][name] = column.nulls?.[r] ? null : convert(column.values[r]);
    }
  });
  return { columns, rows };
}

// The spec the page embeds: the app's, with its dataset, size and options
// as the module comment says.
function prepareSpec(specText, dataset, height) {
  const spec = JSON.parse(specText);
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new Error('the spec is not a JSON object');
  }
  if (spec.usermeta && typeof spec.usermeta === 'object') delete spec.usermeta.embedOptions;
  if (dataset.columns.length > 0) {
    spec.data ??= { name: DEFAULT_DATASET };
    spec.datasets = { ...(spec.datasets ?? {}), [spec.data.name]: dataset.rows };
  }
  if (height > 0) spec.height = height;
  if (spec.width === undefined && !COMPOSITIONS.some((key) => key in spec)) spec.width = 'container';
  return spec;
}

// What a viewer hears the chart called.
function nameOf(specText) {
  try {
    const spec = JSON.parse(specText);
    const title = typeof spec?.title === 'string' ? spec.title : spec?.title?.text;
    if (typeof title === 'string' && title) return title;
    if (Array.isArray(title) && title.length) return title.join(' ');
    if (typeof spec?.description === 'string' && spec.description) return spec.description;
  } catch {
    // Drawn as an error below; the name is the generic one.
  }
  return 'Chart';
}

export function create(element) {
  adoptStyle(STYLE);
  const node = make('div', 'vega-lite-chart');
  node.setAttribute('role', 'figure');
  let shown = null; // vega-embed's result for what the node shows
  let generation = 0; // the latest update; older embeds are dropped as they finish
  let disposed = false;

  const finalize = (result) => {
    try {
      result?.finalize();
    } catch {
      // A view that failed half-way has nothing more to release.
    }
  };

  const showError = (message) => {
    finalize(shown);
    shown = null;
    const error = make('div', 'chart-error', `This chart could not be drawn: ${message}`);
    error.setAttribute('role', 'alert');
    node.replaceChildren(error);
  };

  const draw = async (e) => {
    const mine = ++generation;
    const chart = e.vegaLiteChart;
    const specText = chart.spec;
    const height = chart.height;
    node.setAttribute('aria-label', nameOf(specText));
    if (height > 0) node.style.minHeight = `${height}px`;
    let spec;
    let rows = 0;
    try {
      const dataset = readDataset(chart);
      rows = dataset.rows.length;
      spec = prepareSpec(specText, dataset, height);
    } catch (err) {
      showError(err.message);
      return;
    }
    try {
      const { embed, expressionInterpreter } = await loadVega();
      if (disposed || mine !== generation) return;
      // Drawn unseen over the last chart, then swapped in: a rerun's chart
      // replaces the last without a blank frame between, and Vega measures
      // the column's width from a node in the page.
      const target = make('div', 'chart-pending');
      node.append(target);
      const result = await embed(target, spec, {
        actions: false,
        ast: true,
        expr: expressionInterpreter,
        renderer: rows > SVG_MAX_ROWS ? 'canvas' : 'svg',
        loader: REFUSING_LOADER,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
        mode: 'vega-lite',
      });
      if (disposed || mine !== generation) {
        finalize(result);
        target.remove();
        return;
      }
      finalize(shown);
      shown = result;
      target.classList.remove('chart-pending');
      node.replaceChildren(target);
    } catch (err) {
      if (!disposed && mine === generation) showError(err.message);
    }
  };

  draw(element);
  return {
    node,
    update(e) {
      draw(e);
    },
    dispose() {
      disposed = true;
      finalize(shown);
      shown = null;
    },
  };
}

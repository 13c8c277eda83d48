// st::line_chart, area_chart, bar_chart, scatter_chart: a uPlot canvas over
// points the worker chose for this plot's width.
//
// The element brings every series' points over the whole x range, reduced
// (M4: per pixel column the first, last, lowest and highest point, which
// draws the same picture) when there are more than a few per pixel, and,
// after add_rows, the rows appended since then as they are (`tail`). The
// page never has more than a few points per pixel column.
//
// Zoom: drag across the plot to zoom into an x range; the chart then asks
// the worker for that range's points (a points query, no rerun), at full
// resolution once they fit; double-click (or the "Reset zoom" button, or
// Escape in the chart) goes back to the whole range. A plot wider than the
// reduction's width on this screen asks for its own width too.
//
// Hover shows the exact values of the nearest point in the legend; a
// click on a legend entry (or Enter / Space on it: entries are buttons
// with aria-pressed) hides or shows that series. The chart is a figure
// named by what it draws ("Line chart of price, volume by day, 50 points").
//
// uPlot is a chunk of its own (../plot.js), loaded with import() when the
// first chart is made; everything the element carries is read before that
// await (a reader belongs to its frame).
import { Chart_Kind, Element, QueryReply } from '../../generated/page.js';
import { adoptStyle, make } from '../dom.js';

export const member = Element.CHART;

const DEFAULT_HEIGHT_PX = 300;
// Tableau 10: distinct for the common kinds of color blindness.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const KIND_NAMES = { [Chart_Kind.LINE]: 'Line', [Chart_Kind.AREA]: 'Area', [Chart_Kind.BAR]: 'Bar', [Chart_Kind.SCATTER]: 'Scatter' };
// A resized plot asks for its new width once the size settles.
const RESIZE_SETTLE_MS = 250;
const RETRY_MS = 400;

const CHART_CSS = `
.chart { margin: 0; }
.chart-plot { position: relative; }
.chart .u-legend { font-size: 0.8125rem; text-align: left; }
.chart .u-legend .u-series { cursor: pointer; border-radius: 0.25rem; }
.chart .u-legend .u-series:focus-visible { outline: 2px solid var(--accent); }
.chart .u-legend .u-series > * { padding: 0.125rem 0.25rem; }
.chart .u-select { background: rgba(78, 121, 167, 0.15); }
.chart-bar { display: flex; gap: 0.5rem; align-items: center; min-height: 1.75rem; font-size: 0.8125rem; color: var(--muted); }
.chart-bar button { font: inherit; color: var(--text); background: #fff; border: 1px solid var(--border); border-radius: 0.375rem; padding: 0.125rem 0.5rem; cursor: pointer; }
.chart-bar button:hover { border-color: var(--accent); }
.chart-problem { color: #b42318; }
`;

let loading = null;
function loadPlot() {
  loading ??= import('../plot.js').catch((err) => {
    loading = null; // a later chart tries again
    throw err;
  });
  return loading;
}

function numbers(list) {
  const out = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const v = list.get(i);
    out[i] = Number.isFinite(v) ? v : null; // uPlot draws null as a gap (and cannot scale to infinity)
  }
  return out;
}

/** ChartPoints as {xMin, xMax, pixels, full, x, ys}. */
function readPoints(points) {
  const ys = [];
  for (let s = 0; s < points.y.length; s++) ys.push(numbers(points.y.get(s)));
  return { xMin: points.xMin, xMax: points.xMax, pixels: points.pixels, full: points.full, x: numbers(points.x), ys };
}

function readChart(chart) {
  const series = [];
  for (let s = 0; s < chart.series.length; s++) series.push(chart.series.get(s));
  const rowCount = Number(chart.rowCount);
  const tailBegin = Number(chart.tailBegin);
  return {
    id: chart.id,
    kind: chart.kind,
    height: chart.height,
    xLabel: chart.xLabel,
    xTime: chart.xTime,
    series,
    rowCount,
    view: readPoints(chart.view),
    tail: tailBegin < rowCount ? readPoints(chart.tail) : null,
  };
}

// The points to draw for the whole range: the view, then the rows added since.
function wholeData(c) {
  const x = [...c.view.x];
  const ys = c.view.ys.map((y) => [...y]);
  if (c.tail) {
    x.push(...c.tail.x);
    c.tail.ys.forEach((y, s) => ys[s]?.push(...y));
  }
  return [x, ...ys];
}

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const PLAIN = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

// Axis ticks: 1.5M rather than 1,500,000 where the axis is crowded.
function tickText(v) {
  if (v == null) return '';
  return Math.abs(v) >= 100000 ? COMPACT.format(v) : PLAIN.format(v);
}

function describe(c) {
  const by = c.xLabel || 'row';
  return `${KIND_NAMES[c.kind] ?? 'Line'} chart of ${c.series.join(', ')} by ${by}, ${c.rowCount.toLocaleString('en-US')} points`;
}

function shape(c) {
  return JSON.stringify([c.kind, c.xLabel, c.xTime, c.series, c.height]);
}

export function create(element, { query }) {
  adoptStyle(CHART_CSS);
  let c = readChart(element.chart);
  const node = make('figure', 'element chart');
  node.setAttribute('role', 'figure');
  const plotBox = make('div', 'chart-plot');
  const bar = make('div', 'chart-bar');
  const status = make('span', 'chart-status');
  status.setAttribute('aria-live', 'polite');
  const reset = make('button', 'chart-reset', 'Reset zoom');
  reset.type = 'button';
  reset.hidden = true;
  bar.append(reset, status);
  node.append(plotBox, bar);

  let plot = null;
  let uPlotClass = null;
  let whole = wholeData(c);
  let zoom = null; // {min, max} while zoomed in
  let settling = null;
  let stopQuery = null;
  let epoch = 0; // bumped when the chart's content is replaced
  let disposed = false;
  let programmatic = false; // scale changes the page makes itself

  const label = () => node.setAttribute('aria-label', describe(c));
  label();

  const deviceWidth = () => Math.max(1, Math.round((plot?.bbox.width ?? plotBox.clientWidth * devicePixelRatio) || 1));

  // What is drawn, for benches and tests: how many points, the last x, and
  // how many times data was drawn.
  let draws = 0;
  const drawn = (data) => {
    node.dataset.draws = String(++draws);
    node.dataset.points = String(data[0].length);
    node.dataset.lastX = data[0].length ? String(data[0][data[0].length - 1]) : '';
  };

  const setData = (data, resetScales) => {
    programmatic = true;
    try {
      plot.setData(data, resetScales);
      drawn(data);
    } finally {
      programmatic = false;
    }
  };

  const showProblem = (message) => {
    status.textContent = message;
    status.classList.toggle('chart-problem', !!message);
  };

  // Asks for the points of [min, max]: a zoom's while zoomed in, else the
  // whole range's at this plot's width. A reply is dropped when the chart
  // changed since (epoch) or zoomed in or out meanwhile.
  const ask = (min, max, retries = 1) => {
    stopQuery?.();
    const asked = epoch;
    const forZoom = zoom !== null;
    const pixels = Math.min(8192, deviceWidth());
    stopQuery = query(c.id, { points: { xMin: min, xMax: max, pixels } }, (reply) => {
      stopQuery = null;
      if (disposed || asked !== epoch || (zoom !== null) !== forZoom) return;
      if (reply.which() !== QueryReply.POINTS) {
        // A worker busy redrawing says so; ask once more a little later.
        if (retries > 0 && /ask again/.test(reply.error)) {
          settling = setTimeout(() => ask(min, max, retries - 1), RETRY_MS);
          return;
        }
        showProblem(`Points could not be loaded: ${reply.error || 'no answer'}`);
        return;
      }
      const p = readPoints(reply.points);
      showProblem('');
      const data = [p.x, ...p.ys];
      if (zoom) {
        setData(data, false);
      } else {
        whole = data;
        setData(data, true);
      }
    });
  };

  // A drag zooms once, at its release: ask at once (a newer zoom's query
  // drops the older one's answer).
  const zoomTo = (min, max) => {
    zoom = { min, max };
    reset.hidden = false;
    clearTimeout(settling);
    ask(min, max);
  };

  const unzoom = () => {
    zoom = null;
    reset.hidden = true;
    clearTimeout(settling);
    stopQuery?.();
    stopQuery = null;
    if (plot) setData(whole, true);
  };

  // The whole range again when this plot is wider, on this screen, than
  // the reduction the worker made for it (and there was a reduction).
  const sharpen = () => {
    if (!plot || zoom || c.view.full || c.tail) return;
    if (deviceWidth() > c.view.pixels && c.view.x.length > 0) ask(c.view.xMin, c.view.xMax);
  };

  const options = (width) => {
    const color = (s) => PALETTE[s % PALETTE.length];
    const series = [{ label: c.xLabel || 'row', value: c.xTime ? undefined : (u, v) => (v == null ? '–' : v.toLocaleString('en-US')) }];
    c.series.forEach((name, s) => {
      const spec = { label: name, stroke: color(s), width: 1.5, spanGaps: false, points: { show: false } };
      if (c.kind === Chart_Kind.AREA) spec.fill = `${color(s)}33`;
      if (c.kind === Chart_Kind.BAR) {
        spec.paths = uPlotClass.paths.bars({ size: [0.8, 60], align: 0 });
        spec.fill = `${color(s)}cc`;
        spec.width = 0;
      }
      if (c.kind === Chart_Kind.SCATTER) {
        spec.paths = () => null;
        spec.points = { show: true, size: 5, fill: color(s), stroke: color(s) };
      }
      series.push(spec);
    });
    // Bars and points are drawn around their x: half a step of room at
    // each end keeps the first and last whole.
    const padded = c.kind === Chart_Kind.BAR || c.kind === Chart_Kind.SCATTER;
    const xRange = (u, min, max) => {
      if (min == null || max == null) return [min, max];
      const n = u.data[0].length;
      const pad = max > min ? (n > 1 ? (max - min) / (n - 1) / 2 : (max - min) / 20) : 1;
      return [min - pad, max + pad];
    };
    const ticks = (u, values) => values.map(tickText);
    return {
      width,
      height: c.height > 0 ? c.height : DEFAULT_HEIGHT_PX,
      ms: 1, // x timestamps are milliseconds
      scales: { x: padded && !c.xTime ? { time: false, range: xRange } : { time: c.xTime } },
      axes: [c.xTime ? {} : { values: ticks }, { values: ticks }],
      series,
      cursor: { drag: { x: true, y: false, setScale: true } },
      legend: { live: true },
      hooks: {
        setScale: [
          (u, key) => {
            if (key !== 'x' || programmatic) return;
            const { min, max } = u.scales.x;
            const full = whole[0];
            const atWhole = full.length === 0 || (min <= full[0] && max >= full[full.length - 1]);
            if (atWhole) {
              if (zoom) unzoom();
            } else {
              zoomTo(min, max);
            }
          },
        ],
      },
    };
  };

  const legendButtons = () => {
    const entries = plotBox.querySelectorAll('.u-legend .u-series');
    entries.forEach((entry, i) => {
      if (i === 0) return; // the x row
      entry.tabIndex = 0;
      entry.setAttribute('role', 'button');
      entry.setAttribute('aria-label', `Show ${c.series[i - 1]}`);
      entry.setAttribute('aria-pressed', String(plot.series[i].show));
      entry.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          plot.setSeries(i, { show: !plot.series[i].show });
        }
      });
    });
  };

  const build = () => {
    plot?.destroy();
    plotBox.replaceChildren();
    const width = Math.max(200, plotBox.clientWidth || node.clientWidth || 600);
    const opts = options(width);
    opts.hooks.setSeries = [
      (u, i) => {
        const entry = plotBox.querySelectorAll('.u-legend .u-series')[i];
        entry?.setAttribute('aria-pressed', String(u.series[i].show));
      },
    ];
    plot = new uPlotClass(opts, whole, plotBox);
    drawn(whole);
    legendButtons();
    plot.over.addEventListener('dblclick', () => unzoom());
    sharpen();
  };

  // A window being dragged wider resizes many times: the plot follows each
  // time, the query for its new width waits for the size to settle.
  let resizeTimer = null;
  const resized = new ResizeObserver(() => {
    if (!plot) return;
    const width = Math.max(200, plotBox.clientWidth);
    if (Math.abs(width - plot.width) < 2) return;
    plot.setSize({ width, height: plot.height });
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(sharpen, RESIZE_SETTLE_MS);
  });

  reset.addEventListener('click', unzoom);
  node.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && zoom) unzoom();
  });

  loadPlot().then(
    ({ uPlot, UPLOT_CSS }) => {
      if (disposed) return;
      adoptStyle(UPLOT_CSS);
      uPlotClass = uPlot;
      build();
      resized.observe(plotBox);
    },
    (err) => showProblem(`The chart could not be drawn: ${err.message}`),
  );

  return {
    node,
    update(e) {
      const next = readChart(e.chart);
      const sameShape = shape(next) === shape(c);
      const sameChart = next.id === c.id;
      c = next;
      whole = wholeData(c);
      label();
      // Whatever was asked for was for the content before.
      epoch++;
      stopQuery?.();
      stopQuery = null;
      clearTimeout(settling);
      if (!sameChart) {
        zoom = null;
        reset.hidden = true;
      }
      if (!plot) return; // drawn with the new content once uPlot is here
      if (!sameShape) {
        build();
        return;
      }
      if (zoom) {
        // Rows were appended while zoomed in: the zoom stays; its points
        // are asked for again in case the new rows fall inside it.
        zoomTo(zoom.min, zoom.max);
      } else {
        setData(whole, true);
        sharpen();
      }
    },
    dispose() {
      disposed = true;
      clearTimeout(settling);
      clearTimeout(resizeTimer);
      stopQuery?.();
      resized.disconnect();
      plot?.destroy();
    },
  };
}

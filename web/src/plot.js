// uPlot, for st::line_chart and friends (elements/chart.js loads this
// module with import() when the first chart is shown, so it is a chunk of
// its own, about 50 KB, and pages without a chart never fetch it).
/*! uPlot, Copyright (c) 2022 Leon Sorokin, @license MIT */
import uPlot from 'uplot';
import UPLOT_CSS from 'uplot/dist/uPlot.min.css' with { type: 'text' };

export { uPlot, UPLOT_CSS };

// vega-embed (with Vega and Vega-Lite), for st::vega_lite_chart
// (elements/vega_lite_chart.js loads this module with import() when the
// first such chart is shown, so it is a chunk of its own, about 1 MB, and
// pages without one never fetch it). vega-interpreter evaluates Vega's
// expressions from their syntax tree: Vega's default compiles them with
// `new Function`, which a Content-Security-Policy without 'unsafe-eval'
// refuses.
/*! vega, vega-lite, vega-embed, vega-interpreter: Copyright the University of Washington Interactive Data Lab, @license BSD-3-Clause */
import embed from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';

export { embed, expressionInterpreter };

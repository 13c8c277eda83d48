// regular-table, for st::dataframe (elements/dataframe.js loads this module
// with import() when the first grid is shown, so it is a chunk of its own
// and pages without a grid never fetch it). Importing it defines the
// <regular-table> custom element.
/*! regular-table 0.9.2, Copyright (c) 2020 the Regular Table Authors, @license Apache-2.0 */
import 'regular-table';
// regular-table's own rules that shift the drawn rows by the fraction of a
// row scrolled ("sub-cell scrolling"): without them the last row of a frame
// hangs below the viewport.
import SUB_CELL_CSS from 'regular-table/dist/css/sub-cell-scrolling.css' with { type: 'text' };

export { SUB_CELL_CSS };

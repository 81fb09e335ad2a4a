// The Plotly bundle the page loads (built by scripts/vendor_js.sh with esbuild): Plotly's
// core (scatter and the cartesian axes, legends, hover, annotations, shapes, image export)
// with the two other traces the page draws, heatmap and contour. Plotly's own cartesian
// bundle adds bar, box, histogram, pie, violin, ternary and the world calendars: 22% more
// code to evaluate at every page load, none of it used.
'use strict';
var Plotly = require('plotly.js/lib/core');
Plotly.register([require('plotly.js/lib/heatmap'), require('plotly.js/lib/contour')]);
module.exports = Plotly;

// The chart library the workbench serves: Plotly.js with only the traces the page draws. The full bundle (4.7 MB)
// takes a fresh browser about 3 s to compile before the page's own script can run; this one is a third of it.
// Built by the project (npm run build, esbuild) into dist/plotly.min.js, which the assembly embeds.
const Plotly = require('plotly.js/lib/core');

Plotly.register([
  require('plotly.js/lib/heatmap'), // the monotonicity matrix
  require('plotly.js/lib/scattergl'), // a pair's scatter, the fronts, a search's evaluations: WebGL, not a node per point
  require('plotly.js/lib/waterfall'), // Explain's parts
]);

module.exports = Plotly;

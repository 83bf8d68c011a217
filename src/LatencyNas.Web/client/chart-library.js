// The chart library the workbench serves: Plotly.js with only the traces the page draws. The full bundle (4.7 MB) takes a
// fresh browser about 3 s to compile before the page's own script can run; this one is a third of it, and the WebGL
// scatter's code (a quarter of the rest) is loaded only when a scatter is first drawn (Plotly.loadWebGL), after the
// first chart. Built by the project (npm run build: build.mjs, esbuild) into dist/, which the assembly embeds.
import Plotly from 'plotly.js/lib/core';
import heatmap from 'plotly.js/lib/heatmap'; // the monotonicity matrix, the choices' effects
import waterfall from 'plotly.js/lib/waterfall'; // Explain's parts

Plotly.register([heatmap, waterfall]);

// A pair's scatter, the fronts, a search's evaluations: WebGL, not a node per point. Resolves once the trace is registered.
let webgl = null;
Plotly.loadWebGL = () => (webgl ??= import('./chart-webgl.js').then(module => Plotly.register(module.default)));

window.Plotly = Plotly;

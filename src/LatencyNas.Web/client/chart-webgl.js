// The WebGL scatter, split from chart-library.js: loaded by Plotly.loadWebGL.
export { default } from 'plotly.js/lib/scattergl';

'use strict';

// Runs before the chart library: the answers the page opens with are requested now and arrive while a fresh browser
// compiles Plotly.js (about half a second), instead of one after another once the page's own script runs (app.js, api()).
window.workbenchPrefetch = new Map(['/api/devices', '/api/spaces', '/api/objectives', '/api/search', '/api/monotonicity']
  .map(path => [path, fetch(path, { headers: { Accept: 'application/json' } })]));

'use strict';

// The workbench page: devices, the monotonicity heatmap, a pair's scatter, its fronts and one architecture, linked by selection.
// Every number comes from the API, which answers with the same records as the commands' --json.
const workbench = (() => {
  const state = { space: null, devices: [], matrix: null, pair: null, columns: null, selected: null, brushed: new Set(), brushedDrawn: null, fronts: null, budget: null, effects: null, search: null, explained: null, model: null };
  const $ = id => document.getElementById(id);
  const esc = text => String(text ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const fixed = (value, digits) => value === null || value === undefined || !Number.isFinite(Number(value)) ? '–' : Number(value).toFixed(digits);
  const plotConfig = { displaylogo: false, responsive: false, modeBarButtonsToRemove: ['select2d', 'lasso2d'] };
  // The scatter and the fronts can be brushed (a box or a lasso): what is brushed on one is marked on the others.
  const brushConfig = { displaylogo: false, responsive: false };
  const brushedLook = { selected: { marker: { color: '#ff7f0e', opacity: 0.9 } }, unselected: { marker: { opacity: 0.12 } } };
  const verdict = pair => !pair ? '' : pair.verdict === 'undefined' ? `undefined: ${esc(pair.note ?? 'no SRCC')}`
    : (pair.monotonic ? 'monotonic: re-use the proxy' : 'not monotonic: adapt') + (pair.note ? ` (${esc(pair.note)})` : '');
  // The WebGL scatter's code is loaded apart from the rest of the chart library (after the first chart); every
  // chart drawing one waits for it.
  const webgl = () => Plotly.loadWebGL();

  // The space the views show: null for the server's default (what prefetch.js asked about), else the one chosen.
  const spaced = path => state.space === null ? path : `${path}${path.includes('?') ? '&' : '?'}space=${encodeURIComponent(state.space)}`;

  // An answer prefetch.js requested as the page opened is taken once; later calls ask again.
  const prefetched = window.workbenchPrefetch ?? new Map();
  async function api(path) {
    const early = prefetched.get(path);
    prefetched.delete(path);
    const response = await (early ?? fetch(path, { headers: { Accept: 'application/json' } }));
    if (response.status === 204) {
      return null;
    }
    const body = await response.json();
    if (!response.ok) {
      throw new Error(body.detail || body.title || `HTTP ${response.status}`);
    }
    return body;
  }

  // Posts carry the antiforgery token the server hands this page; a file (a model) goes as it is, anything else as JSON.
  let antiforgery = null;
  async function post(path, body) {
    antiforgery ??= await api('/api/antiforgery');
    const file = body instanceof Blob;
    const response = await fetch(path, {
      method: 'POST', body: file ? body : JSON.stringify(body),
      headers: { Accept: 'application/json', 'Content-Type': file ? 'application/octet-stream' : 'application/json', [antiforgery.header]: antiforgery.token },
    });
    const answer = await response.json();
    if (!response.ok) {
      throw new Error(answer.detail || answer.title || `HTTP ${response.status}`);
    }
    return answer;
  }

  function status(text, isError = false) {
    const element = $('compare-status');
    element.textContent = text;
    element.classList.toggle('error', isError);
  }

  // The devices table, read again every few seconds: a profile running in another process shows its progress here —
  // the measurements (ok and failed) a device gained since the page first saw it, and their rate up to the last one.
  const devicesRefreshMs = 3000;
  const firstSeen = new Map(); // device → { count, at: when first seen; now: the count last read, last: when it last grew }
  function progress(d, now) {
    const count = d.measured + d.failed;
    const seen = firstSeen.get(d.name) ?? { count, at: now, now: count, last: now };
    if (count !== seen.now) {
      seen.now = count;
      seen.last = now;
    }
    firstSeen.set(d.name, seen);
    const gained = count - seen.count, minutes = (seen.last - seen.at) / 60000;
    return gained > 0 && minutes > 0 ? `+${gained.toLocaleString('en')}, ${fixed(gained / minutes, gained / minutes >= 10 ? 0 : 1)}/min` : '';
  }

  async function showDevices() {
    const result = await api('/api/devices');
    const now = performance.now();
    state.devices = result.devices;
    $('store').textContent = result.store;
    $('devices').tBodies[0].innerHTML = result.devices.map(d =>
      `<tr data-device="${esc(d.name)}"><td>${esc(d.name)}</td><td>${esc(d.kind)}</td><td class="number">${d.measured}</td>` +
      `<td class="number">${d.failed}</td><td class="number sessions">${d.sessions}</td><td class="last-measured">${esc(d.last_measured_at?.slice(0, 19).replace('T', ' ') ?? '')}</td>` +
      `<td class="progress">${progress(d, now)}</td><td>${esc(d.runtime ?? '')}</td><td>${esc(d.dataset)} ${esc(d.input)}</td></tr>`).join('');
    return result;
  }

  async function loadDevices() {
    const result = await showDevices();
    setInterval(() => showDevices().catch(() => {}), devicesRefreshMs);
    return result.devices.filter(d => d.measured >= 3).map(d => d.name); // the search's choices
  }

  function pairOf(matrix, proxy, target) {
    return matrix.pairs.find(p => (p.first === proxy && p.second === target) || (p.first === target && p.second === proxy));
  }

  function cellText(matrix, i, j) {
    const [proxy, target] = [matrix.devices[i], matrix.devices[j]];
    if (i === j) {
      return `${esc(proxy)}<br>SRCC 1.000`;
    }
    const pair = pairOf(matrix, proxy, target);
    return `proxy ${esc(proxy)} → target ${esc(target)}<br>SRCC ${fixed(matrix.srcc[i][j], 3)} [${fixed(pair?.ci_low, 3)}, ${fixed(pair?.ci_high, 3)}]` +
      `<br>Kendall ${fixed(matrix.kendall[i][j], 3)}<br>${verdict(pair)}`;
  }

  // Without names, the comparison the server opens with (computed as it starts), or none when fewer than two devices are measured.
  async function compare(names) {
    status('computing…');
    const matrix = await api(spaced(names === undefined ? '/api/monotonicity' : `/api/monotonicity?devices=${encodeURIComponent(names)}`));
    if (matrix === null) {
      status(`the store has fewer than two devices measured on ${state.space ?? 'this space'} to compare`);
      return;
    }
    state.matrix = matrix;
    $('compare-devices').value = matrix.devices.join(',');
    const text = matrix.devices.map((_, i) => matrix.devices.map((_, j) => cellText(matrix, i, j)));
    await Plotly.react('heatmap', [{
      type: 'heatmap', z: matrix.srcc, x: matrix.devices, y: matrix.devices, zmin: 0, zmax: 1, colorscale: 'Viridis',
      text, hovertemplate: '%{text}<extra></extra>', colorbar: { title: { text: 'SRCC' } },
    }], {
      title: { text: `SRCC on ${matrix.architectures.toLocaleString('en')} shared architectures` },
      margin: { l: 120, b: 120, t: 40, r: 10 }, yaxis: { autorange: 'reversed', title: { text: 'proxy' } }, xaxis: { title: { text: 'target' } },
    }, plotConfig);
    const heatmap = $('heatmap');
    heatmap.removeAllListeners?.('plotly_click');
    heatmap.on('plotly_click', event => openPair(event.points[0].y, event.points[0].x).catch(error => status(error.message, true)));
    status(`${matrix.devices.length} devices`);
  }

  // An axis's range over the values, padded by 4% each side (a log axis's in powers of ten). Given, not autoranged: a
  // chart's restyle (a brush marked, an architecture selected) recomputes an autorange, which moved the views under the brush.
  const paddedRange = (values, log = false) => {
    let low = Infinity, high = -Infinity;
    for (const value of values) {
      if (Number.isFinite(value) && (!log || value > 0)) {
        const v = log ? Math.log10(value) : value;
        low = Math.min(low, v);
        high = Math.max(high, v);
      }
    }
    const pad = 0.04 * Math.max(high - low, log ? 0.1 : Math.abs(high) * 0.01 || 1);
    return low <= high ? [low - pad, high + pad] : undefined;
  };
  const logRange = values => paddedRange(values, true);

  async function openPair(proxy, target) {
    if (proxy === target) {
      return;
    }
    const [columns] = await Promise.all([api(spaced(`/api/latencies?devices=${encodeURIComponent(proxy)},${encodeURIComponent(target)}`)), webgl()]);
    state.pair = { proxy, target };
    state.columns = columns;
    const x = columns.latencies_ms[proxy], y = columns.latencies_ms[target];
    const low = Math.min(...x, ...y), high = Math.max(...x, ...y);
    const pair = state.matrix ? pairOf(state.matrix, proxy, target) : null;
    shapes.scatter = {};
    state.brushed = new Set();
    showBrushed();
    await Plotly.react('scatter', [
      { type: 'scattergl', mode: 'markers', name: 'architectures', x, y, text: columns.ops, marker: { size: 4, opacity: 0.6 }, ...brushedLook,
        hovertemplate: `%{text}<br>${esc(proxy)} %{x:.3f} ms<br>${esc(target)} %{y:.3f} ms<extra></extra>` },
      { type: 'scatter', mode: 'lines', name: 'y = x', x: [low, high], y: [low, high], line: { dash: 'dot', color: '#888' }, hoverinfo: 'skip' },
      ...markerTraces(),
    ], {
      title: { text: `${esc(proxy)} vs ${esc(target)}: SRCC ${fixed(pair?.srcc, 3)}, Kendall ${fixed(pair?.kendall, 3)}<br>${verdict(pair)}`, x: 0.02, xanchor: 'left', font: { size: 14 } },
      xaxis: { type: 'log', range: logRange(x), title: { text: `${esc(proxy)} latency (ms)` } },
      yaxis: { type: 'log', range: logRange(y), title: { text: `${esc(target)} latency (ms)` } },
      margin: { l: 70, b: 60, t: 60, r: 10 }, showlegend: false, dragmode: 'select',
    }, brushConfig);
    linkArchitectures('scatter');
    mark(state.selected, 'selected');
    await openFronts(proxy, target).catch(error => { $('fronts-status').textContent = error.message; });
    await openEffects(target, $('objective').value).catch(error => status(error.message, true));
  }

  // Linked views: an architecture selected (clicked) or hovered on the scatter or a front is marked on every one of
  // them that shows it — a star for the selected one (each chart's last trace), a ring for the hovered one — and those
  // brushed on one stand out on the others (the rest dimmed). The ring is a layout shape, not a trace: moving a shape
  // redraws no trace, where a restyle redraws a chart's 15,625 WebGL points.
  const markerTraces = () => [
    { type: 'scatter', mode: 'markers', name: 'selected', x: [], y: [], marker: { size: 14, symbol: 'star', color: '#d62728' }, hoverinfo: 'skip', showlegend: false },
  ];
  const shapes = { scatter: {}, 'front-proxy': {}, 'front-target': {} }; // per chart: its budget line and ring, when shown

  function drawShapes(chart) {
    Plotly.relayout(chart, { shapes: [shapes[chart].budget, shapes[chart].ring].filter(shape => shape) });
  }

  // A shape's coordinate on a log axis is the logarithm.
  const onAxis = (chart, axis, value) => $(chart)._fullLayout[axis].type === 'log' ? Math.log10(value) : value;

  function placesOf(ops) {
    const places = new Map();
    const c = state.columns, i = ops === null || !c ? -1 : c.ops.indexOf(ops);
    if (i >= 0) {
      places.set('scatter', [c.latencies_ms[state.pair.proxy][i], c.latencies_ms[state.pair.target][i]]);
    }
    const f = state.fronts, j = ops === null || !f ? -1 : f.columns.ops.indexOf(ops);
    if (j >= 0) {
      places.set('front-proxy', [f.columns.latencies_ms[f.proxy][j], f.columns.objective_values[j]]);
      places.set('front-target', [f.columns.latencies_ms[f.target][j], f.columns.objective_values[j]]);
    }
    return places;
  }

  function mark(ops, role, except = null) {
    const places = placesOf(ops);
    for (const chart of ['scatter', 'front-proxy', 'front-target']) {
      const data = $(chart).data;
      if (chart === except || !data?.length) {
        continue;
      }
      const at = places.get(chart);
      if (role === 'selected') {
        Plotly.restyle(chart, { x: [at ? [at[0]] : []], y: [at ? [at[1]] : []] }, [data.length - 1]);
      } else if (at || shapes[chart].ring) {
        shapes[chart].ring = at && { type: 'circle', xref: 'x', yref: 'y', xsizemode: 'pixel', ysizemode: 'pixel',
          xanchor: onAxis(chart, 'xaxis', at[0]), yanchor: onAxis(chart, 'yaxis', at[1]), x0: -9, x1: 9, y0: -9, y1: 9, line: { color: '#111', width: 2 } };
        drawShapes(chart);
      }
    }
  }

  // Brushed architectures: counted, with their latency ranges, below the scatter, and marked on every chart but the one
  // brushed (whose own selection shows them until the page marks it too, below; the others dimmed), in one go: a restyle recomputes and redraws a chart's
  // 15,625 WebGL points (20–60 ms in a software-rendered browser), and a box answered at the mouse's release (below) is
  // marked before Plotly's own work on the release, which would otherwise come first. state.brushedDrawn is the brush
  // the charts show.
  function brush(ops, from) {
    if (ops.length === state.brushed.size && ops.every(o => state.brushed.has(o))) {
      return; // Plotly's own answer to a box the page has answered already
    }
    state.brushed = new Set(ops);
    showBrushed();
    markBrushed(from);
  }

  function markBrushed(from) {
    const brushed = state.brushed;
    for (const chart of ['scatter', 'front-proxy', 'front-target']) {
      if (chart !== from) {
        markBrushedOn(chart, brushed); // the fronts still on their way mark what is brushed once drawn
      }
    }
    state.brushedDrawn = brushed;
  }

  function markBrushedOn(chart, brushed) {
    const columns = chart === 'scatter' ? state.columns : state.fronts?.columns;
    if (!$(chart).data?.length || !columns) {
      return;
    }
    const at = brushed.size ? columns.ops.map((o, i) => brushed.has(o) ? i : -1).filter(i => i >= 0) : null;
    Plotly.restyle(chart, { selectedpoints: [at] }, [0]);
  }

  // What promote takes into a running search: the points selected on its chart, and those brushed on the scatter or a
  // front when they belong to the search's space (the server takes at most 64 at once, and none with a banned choice).
  function promotable() {
    const sameSpace = search.run && (state.space ?? state.defaultSpace) === search.run.space;
    return [...new Set([...search.selected, ...(sameSpace ? state.brushed : [])])];
  }

  function showBrushed() {
    const n = state.brushed.size, c = state.columns;
    let text = 'Brush the scatter or a front (drag a box; the lasso is in the chart\'s tools) to mark architectures on every chart.';
    if (n > 0 && c) {
      const rows = c.ops.map((o, i) => state.brushed.has(o) ? i : -1).filter(i => i >= 0);
      const range = device => `${fixed(Math.min(...rows.map(i => c.latencies_ms[device][i])), 3)}–${fixed(Math.max(...rows.map(i => c.latencies_ms[device][i])), 3)} ms`;
      text = `${n.toLocaleString('en')} architectures brushed: ${state.pair.proxy} ${range(state.pair.proxy)}, ${state.pair.target} ${range(state.pair.target)}` +
        ' (a running search can take them in: promote).';
    }
    $('brush-status').textContent = text;
    $('steer-promote').textContent = `promote selected (${promotable().length})`;
  }

  // Plotly keeps a finished box or lasso as a layout selection and applies it again on every later change of the chart —
  // in pixels where an axis is logarithmic (Plotly 3.7), so then no point is in it and the brushed chart loses its marks.
  // The page drops that selection once Plotly has stored it, and marks the brushed chart as it marks the others.
  let droppingSelection = false;
  async function dropSelection(chart) {
    if (!$(chart).layout.selections?.length) {
      return;
    }
    droppingSelection = true;
    try {
      await Plotly.relayout(chart, { selections: [] });
    } finally {
      droppingSelection = false;
    }
    markBrushedOn(chart, state.brushed);
  }

  // Plotly answers a box late: after its selection's throttle (up to 100 ms after the mouse's last move) and after its
  // own 50–60 ms of work on the release. So the page answers a plain box itself at the release, from the box's corners
  // (in the plot's pixels, clamped to the plot, as Plotly tests points); Plotly's answer follows and changes nothing when
  // it agrees (it did for every one of the 20 boxes of a `latnas bench serve`). A lasso, a box added with shift, or a box
  // so thin that Plotly takes a whole strip, wait for Plotly.
  const boxSide = 12; // below it on either side, Plotly's box is a strip
  function brushByBox(chart) {
    const element = $(chart);
    if (element.brushesByBox) {
      return;
    }
    element.brushesByBox = true;
    let start = null;
    const inPlot = event => {
      const { xaxis, yaxis } = element._fullLayout, box = element.getBoundingClientRect();
      const clamp = (value, length) => Math.max(0, Math.min(length, value));
      return [clamp(event.clientX - box.left - xaxis._offset, xaxis._length), clamp(event.clientY - box.top - yaxis._offset, yaxis._length)];
    };
    element.addEventListener('mousedown', event => {
      const plain = event.button === 0 && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey;
      start = plain && element._fullLayout?.dragmode === 'select' && event.target.classList?.contains('nsewdrag') ? inPlot(event) : null;
    }, { capture: true });
    window.addEventListener('mouseup', event => {
      if (!start) {
        return;
      }
      const [x0, y0] = start, [x1, y1] = inPlot(event);
      start = null;
      const columns = chart === 'scatter' ? state.columns : state.fronts?.columns;
      const trace = element.data?.[0];
      if (Math.abs(x1 - x0) < boxSide || Math.abs(y1 - y0) < boxSide || !columns || !trace) {
        return;
      }
      const { xaxis, yaxis } = element._fullLayout;
      const [left, right, top, bottom] = [Math.min(x0, x1), Math.max(x0, x1), Math.min(y0, y1), Math.max(y0, y1)];
      const ops = [];
      for (let i = 0; i < columns.ops.length; i++) {
        const x = xaxis.d2p(trace.x[i]), y = yaxis.d2p(trace.y[i]);
        if (x >= left && x <= right && y >= top && y <= bottom) {
          ops.push(columns.ops[i]);
        }
      }
      brush(ops, chart);
    }, { capture: true });
  }

  // Clicking a point selects its architecture; hovering marks it on the other charts (once a frame, however fast the mouse);
  // brushing marks what is brushed on the others.
  let hovered = { ops: null, from: null, drawing: false };
  function linkArchitectures(chart) {
    const element = $(chart);
    for (const name of ['plotly_click', 'plotly_hover', 'plotly_unhover', 'plotly_selected', 'plotly_deselect', 'plotly_relayout']) {
      element.removeAllListeners?.(name);
    }
    element.on('plotly_relayout', change => {
      if (change?.selections?.length && !droppingSelection) {
        setTimeout(() => dropSelection(chart), 0);
      }
    });
    element.on('plotly_selected', event => {
      if (droppingSelection) {
        return;
      }
      const points = (event?.points ?? []).filter(p => p.curveNumber === 0); // the architectures' trace, not the fronts or marks
      const ops = (chart === 'scatter' ? state.columns : state.fronts.columns).ops;
      brush(points.map(p => ops[p.pointIndex]), chart);
    });
    element.on('plotly_deselect', () => droppingSelection || brush([], chart));
    brushByBox(chart);
    const opsOf = event => event.points.find(p => typeof p.text === 'string' && p.text.length > 0)?.text ?? null;
    element.on('plotly_click', event => {
      const ops = opsOf(event);
      if (ops) {
        select(ops).catch(error => status(error.message, true));
      }
    });
    const hover = (ops, from) => {
      hovered = { ...hovered, ops, from };
      if (!hovered.drawing) {
        hovered.drawing = true;
        requestAnimationFrame(() => { hovered.drawing = false; mark(hovered.ops, 'hovered', hovered.from); });
      }
    };
    element.on('plotly_hover', event => hover(opsOf(event), chart));
    element.on('plotly_unhover', () => hover(null, chart));
  }

  async function select(ops) {
    const shown = await api(spaced(`/api/show?arch=${encodeURIComponent(ops)}`));
    state.selected = shown.architecture.ops;
    const a = shown.architecture;
    const rows = shown.devices.map(d =>
      `<tr data-device="${esc(d.device)}"><td>${esc(d.device)}</td><td class="number measured">${fixed(d.measured_ms, 3)}</td>` +
      `<td class="number">${d.measurements}</td><td class="number predicted">${fixed(d.predicted_ms, 3)}</td><td>${esc(d.predictor ?? '')}</td></tr>`);
    $('architecture').classList.remove('muted');
    $('architecture').innerHTML =
      `<p><code>${esc(a.arch)}</code> — ops <code class="ops">${esc(a.ops)}</code>, index ${a.index ?? '–'}, ` +
      `${a.params.toLocaleString('en')} parameters, ${a.macs.toLocaleString('en')} MACs</p>` +
      `<table id="architecture-devices"><thead><tr><th>device</th><th>measured ms</th><th>measurements</th><th>predicted ms</th><th>predictor</th></tr></thead>` +
      `<tbody>${rows.join('')}</tbody></table>`;
    mark(state.selected, 'selected');
    await explain(state.selected).catch(error => { $('explain-status').textContent = error.message; });
    return shown;
  }

  // Explain: the architecture's predicted latency on every device with a saved predictor, as one waterfall per device.
  async function explain(ops) {
    const explained = await api(spaced(`/api/explain?arch=${encodeURIComponent(ops)}&devices=all`));
    state.explained = explained;
    const labels = ['reference', ...explained.devices[0].parts.map(p => `${p.decision.split(' ')[0]}: ${p.choice}`), 'predicted'];
    const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
    const traces = explained.devices.map((d, i) => ({
      type: 'waterfall', name: d.device, // one colour per device: a waterfall colours by rise and fall otherwise
      increasing: { marker: { color: palette[i % palette.length] } }, decreasing: { marker: { color: palette[i % palette.length], line: { color: '#b00020', width: 2 } } },
      totals: { marker: { color: palette[i % palette.length] } }, connector: { line: { color: '#bbb' } }, orientation: 'v', x: labels, measure: ['absolute', ...d.parts.map(() => 'relative'), 'total'],
      y: [d.reference_ms, ...d.parts.map(p => p.ms), 0], text: [d.reference_ms, ...d.parts.map(p => p.ms), d.predicted_ms].map(v => fixed(v, 3)),
      hovertemplate: `${esc(d.device)}<br>%{x}: %{text} ms<extra></extra>`, textposition: 'none',
    }));
    traces.push({ type: 'scatter', mode: 'markers', name: 'measured', x: explained.devices.filter(d => d.measured_ms !== null).map(() => 'predicted'),
      y: explained.devices.filter(d => d.measured_ms !== null).map(d => d.measured_ms), marker: { symbol: 'diamond', size: 11, color: '#222' },
      text: explained.devices.filter(d => d.measured_ms !== null).map(d => `${d.device} measured ${fixed(d.measured_ms, 3)} ms`), hovertemplate: '%{text}<extra></extra>' });
    await Plotly.react('explain', traces, {
      title: { text: `${esc(ops)}: predicted latency in parts`, x: 0.02, xanchor: 'left', font: { size: 14 } }, waterfallmode: 'group',
      yaxis: { title: { text: 'ms' } }, margin: { l: 60, b: 90, t: 50, r: 10 },
    }, plotConfig);
    $('explain-status').textContent = explained.devices.map(d => `${d.device}: ${fixed(d.predicted_ms, 3)} ms predicted by ${d.predictor}` +
      (d.measured_ms === null ? '' : `, ${fixed(d.measured_ms, 3)} ms measured`)).join('; ');
    return explained;
  }

  // Any ONNX model: predicted on a device kernel by kernel, drawn as a waterfall of the run's fixed cost, the costliest
  // kernels in the order they run, and the others together.
  const modelKernelsShown = 15;
  async function predictModel(file, device, batch) {
    $('model-status').textContent = 'predicting…';
    const result = await post(`/api/model-prediction?device=${encodeURIComponent(device)}&name=${encodeURIComponent(file.name)}${batch ? `&batch=${batch}` : ''}`, file);
    state.model = result;
    const kernels = result.kernels.map((k, i) => ({ ...k, i }));
    const costliest = new Set([...kernels].sort((a, b) => b.predicted_ms - a.predicted_ms).slice(0, modelKernelsShown).map(k => k.i));
    const shown = kernels.filter(k => costliest.has(k.i)), others = kernels.filter(k => !costliest.has(k.i));
    const othersMs = others.reduce((sum, k) => sum + k.predicted_ms, 0);
    const bars = [{ label: 'run overhead', ms: result.overhead_ms, hover: 'the fixed cost of one run, counted once' },
      ...shown.map(k => ({ label: `${k.i + 1}. ${k.operator}`, ms: k.predicted_ms, hover: `${esc(k.nodes.join(', '))}<br>as ${esc(k.as)}<br>${fixed(100 * k.share, 1)}% of the prediction` })),
      ...(others.length ? [{ label: `other ${others.length} kernels`, ms: othersMs, hover: 'the kernels not shown, together' }] : [])];
    await Plotly.react('model-explain', [{
      type: 'waterfall', orientation: 'v', x: [...bars.map(b => b.label), 'predicted'], y: [...bars.map(b => b.ms), 0],
      measure: ['absolute', ...bars.slice(1).map(() => 'relative'), 'total'], text: [...bars.map(b => b.ms), result.predicted_ms].map(v => fixed(v, 3)),
      hovertext: [...bars.map(b => b.hover), `${esc(result.model)} on ${esc(result.device)}`], hovertemplate: '%{x}: %{text} ms<br>%{hovertext}<extra></extra>',
      textposition: 'none', connector: { line: { color: '#bbb' } },
    }], {
      title: { text: `${esc(result.model)} on ${esc(result.device)}: predicted latency by kernel`, x: 0.02, xanchor: 'left', font: { size: 14 } },
      yaxis: { title: { text: 'ms' } }, margin: { l: 60, b: 120, t: 50, r: 10 },
    }, plotConfig);
    $('model-status').textContent = `${result.model} on ${result.device}: ${fixed(result.predicted_ms, 3)} ms predicted from ${result.kernels.length} kernels ` +
      `(${result.optimization} rewrites, batch ${result.batch})`;
    return result;
  }

  // The spaces the views can show; choosing another clears what belonged to the last one and opens its comparison.
  async function loadSpaces() {
    const result = await api('/api/spaces');
    state.defaultSpace = result.default;
    $('space').innerHTML = result.spaces.map(n => `<option${n === result.default ? ' selected' : ''}>${esc(n)}</option>`).join('');
  }

  async function switchSpace(name) {
    state.space = name;
    Object.assign(state, { matrix: null, pair: null, columns: null, selected: null, brushed: new Set(), brushedDrawn: null, fronts: null, budget: null, effects: null, explained: null });
    $('effects-device').innerHTML = '';
    showBrushed();
    for (const chart of ['heatmap', 'scatter', 'front-proxy', 'front-target', 'effects-latency', 'effects-objective', 'explain']) {
      Plotly.purge(chart);
      shapes[chart] &&= {};
    }
    $('architecture').classList.add('muted');
    $('architecture').textContent = 'Click a point of the scatter.';
    $('budgets').tBodies[0].innerHTML = '';
    $('budget-answer').textContent = '';
    $('budget-value').textContent = '';
    $('fronts-status').textContent = 'Click a cell of the heatmap: its proxy\'s front is re-used on its target.';
    await loadObjectives();
    $('search-objective').innerHTML = $('objective').innerHTML;
    await compare();
  }

  // Fronts: the proxy's Pareto front re-used on the target, against the target's own front, with a budget slider.
  async function loadObjectives() {
    const result = await api(spaced('/api/objectives'));
    // Zero-cost scores are computed on demand (minutes for a whole space): the page offers the stored ones, params and MACs.
    const names = [...result.stored, ...result.computed.filter(n => n === 'params' || n === 'macs')];
    $('objective').innerHTML = names.map(n => `<option>${esc(n)}</option>`).join('');
  }

  function frontLine(ops, columns, device) {
    const at = new Map(columns.ops.map((o, i) => [o, i]));
    const rows = ops.map(o => at.get(o)).sort((a, b) => columns.latencies_ms[device][a] - columns.latencies_ms[device][b]);
    return { x: rows.map(i => columns.latencies_ms[device][i]), y: rows.map(i => columns.objective_values[i]), text: rows.map(i => columns.ops[i]) };
  }

  async function openFronts(proxy, target) {
    const objective = $('objective').value;
    if (!objective || proxy === target) {
      return;
    }
    $('fronts-status').textContent = 'computing…';
    const query = `proxy=${encodeURIComponent(proxy)}&target=${encodeURIComponent(target)}&objective=${encodeURIComponent(objective)}`;
    const [columns, pareto] = await Promise.all([
      api(spaced(`/api/latencies?devices=${encodeURIComponent(proxy)},${encodeURIComponent(target)}&objective=${encodeURIComponent(objective)}`)),
      api(spaced(`/api/pareto?${query}`)),
      webgl(),
    ]);
    const reuse = pareto.fronts[0];
    state.fronts = { proxy, target, objective, columns, reuse };
    const all = device => ({ type: 'scattergl', mode: 'markers', name: 'architectures', x: columns.latencies_ms[device], y: columns.objective_values,
      text: columns.ops, marker: { size: 3, color: '#9aa', opacity: 0.5 }, ...brushedLook, hovertemplate: `%{text}<br>%{x:.3f} ms<br>${esc(objective)} %{y:.4g}<extra></extra>` });
    const layout = (device, title) => ({ title: { text: title, x: 0.02, xanchor: 'left', font: { size: 14 } }, showlegend: true, legend: { x: 1, xanchor: 'right', y: 0 },
      xaxis: { type: 'log', range: logRange(columns.latencies_ms[device]), title: { text: `${esc(device)} latency (ms)` } },
      yaxis: { range: paddedRange(columns.objective_values), title: { text: esc(objective) } }, margin: { l: 70, b: 60, t: 60, r: 10 }, dragmode: 'select' });
    const source = frontLine(reuse.source_ops, columns, proxy);
    shapes['front-proxy'] = {};
    shapes['front-target'] = {};
    await Plotly.react('front-proxy', [all(proxy),
      { type: 'scatter', mode: 'lines+markers', name: `${proxy}'s front`, ...source, line: { color: '#d62728', shape: 'hv' }, hovertemplate: '%{text}<extra></extra>' },
      ...markerTraces(),
    ], layout(proxy, `on the proxy ${esc(proxy)}: its front, ${reuse.source_front} architectures`), brushConfig);
    const truth = frontLine(reuse.true_ops, columns, target), reused = frontLine(reuse.reused_ops, columns, target);
    await Plotly.react('front-target', [all(target),
      { type: 'scatter', mode: 'lines', name: `${target}'s own front`, ...truth, line: { color: '#2ca02c', shape: 'hv' }, hovertemplate: '%{text}<extra></extra>' },
      { type: 'scatter', mode: 'markers', name: `${proxy}'s front re-used`, ...reused, marker: { color: '#d62728', size: 7 }, hovertemplate: '%{text}<extra></extra>' },
      ...markerTraces(),
    ], layout(target, `on the target ${esc(target)}: hypervolume ratio ${fixed(reuse.hypervolume_ratio, 3)}`), brushConfig);
    linkArchitectures('front-proxy');
    linkArchitectures('front-target');
    mark(state.selected, 'selected');
    markBrushed('scatter');
    $('fronts-status').textContent =
      `${reuse.candidates.toLocaleString('en')} architectures; ${reuse.reused_front} of the proxy's ${reuse.source_front} front members stay on the target's front; ` +
      `${fixed(100 * reuse.recovered_share, 1)}% of the target's ${reuse.true_front} recovered; hypervolume ratio ${fixed(reuse.hypervolume_ratio, 3)}`;
    $('budgets').tBodies[0].innerHTML = reuse.budgets.map(b =>
      `<tr><td class="number">${b.percentile}</td><td class="number">${fixed(b.budget_ms, 3)}</td><td class="number">${fixed(b.best_true, 4)}</td>` +
      `<td class="number">${fixed(b.best_reused, 4)}</td><td class="number">${fixed(b.best_true - b.best_reused, 4)}</td></tr>`).join('');
    const latencies = columns.latencies_ms[target];
    const slider = $('budget');
    slider.min = Math.log10(Math.min(...latencies));
    slider.max = Math.log10(Math.max(...latencies));
    slider.step = (slider.max - slider.min) / 1000;
    setBudget(reuse.budgets.find(b => b.percentile === 50)?.budget_ms ?? Math.max(...latencies));
  }

  // The budget line on the target's chart, and the best objective under it: on the whole target (what its own front
  // reaches) and among the re-used front's members.
  function setBudget(budgetMs) {
    const fronts = state.fronts;
    if (!fronts) {
      return;
    }
    $('budget').value = Math.log10(budgetMs);
    const { columns, reuse, target } = fronts;
    const latency = columns.latencies_ms[target];
    const best = indices => indices.filter(i => latency[i] <= budgetMs).reduce((b, i) => (b < 0 || columns.objective_values[i] > columns.objective_values[b] ? i : b), -1);
    const at = new Map(columns.ops.map((o, i) => [o, i]));
    const whole = best(columns.ops.map((_, i) => i)), reused = best(reuse.reused_ops.map(o => at.get(o)));
    const describe = i => i < 0 ? 'none fits' : `${fixed(columns.objective_values[i], 4)} (${columns.ops[i]}, ${fixed(latency[i], 3)} ms)`;
    $('budget-value').textContent = `${fixed(budgetMs, 3)} ms`;
    $('budget-answer').innerHTML = `<span class="best-true">best on the target: ${describe(whole)}</span>; ` +
      `<span class="best-reused">best of the re-used front: ${describe(reused)}</span>` +
      (whole >= 0 && reused >= 0 ? `; regret <span class="regret">${fixed(columns.objective_values[whole] - columns.objective_values[reused], 4)}</span>` : '');
    // On a log axis a shape's x is the logarithm.
    shapes['front-target'].budget = { type: 'line', xref: 'x', yref: 'paper', x0: Math.log10(budgetMs), x1: Math.log10(budgetMs), y0: 0, y1: 1, line: { color: '#555', dash: 'dash' } };
    drawShapes('front-target');
    state.budget = { budgetMs, bestTrue: whole < 0 ? null : columns.objective_values[whole], bestReused: reused < 0 ? null : columns.objective_values[reused] };
  }

  // Choice effects on latency, per device — every device compared, the target first shown; the selector switches
  // between them without asking again — and on the objective, one heatmap each: decisions down, choices across.
  async function openEffects(target, objective) {
    const devices = [target, ...(state.matrix?.devices ?? []).filter(d => d !== target)];
    const effects = await api(spaced(`/api/effects?devices=${devices.map(encodeURIComponent).join(',')}` + (objective ? `&objective=${encodeURIComponent(objective)}` : '')));
    state.effects = effects;
    const latency = effects.series.filter(s => s.quantity === 'latency_ms');
    const onObjective = effects.series.find(s => s.quantity !== 'latency_ms');
    $('effects-device').innerHTML = latency.map(s => `<option>${esc(s.name)}</option>`).join('');
    $('effects-device').onchange = () => {
      if (!state.effects) {
        return;
      }
      state.effects.shown = latency.find(s => s.name === $('effects-device').value);
      draw('effects-latency', state.effects.shown, 'ms').catch(error => status(error.message, true));
    };
    state.effects.shown = latency[0];
    const decisions = effects.decisions;
    const sameChoices = decisions.every(d => d.choices.join() === decisions[0].choices.join());
    const columns = sameChoices ? decisions[0].choices : decisions[0].choices.map((_, c) => `choice ${c}`);
    const draw = (chart, series, unit) => {
      const text = series.effects.map((row, d) => row.map((e, c) =>
        `${esc(decisions[d].name)}, ${esc(decisions[d].choices[c] ?? columns[c])}<br>${e === null ? 'no architecture' : `${e >= 0 ? '+' : ''}${fixed(e, 3)} ${unit}`}` +
        ` on ${esc(series.name)}<br>(mean ${fixed(series.mean, 3)} ${unit} over ${series.architectures.toLocaleString('en')})`));
      const largest = Math.max(...series.effects.flat().filter(e => e !== null).map(Math.abs));
      // Plotly's RdBu runs from blue (low) to red (high): red for latency added, blue for objective gained.
      return Plotly.react(chart, [{ type: 'heatmap', z: series.effects, x: columns, y: decisions.map(d => d.name), text, hovertemplate: '%{text}<extra></extra>',
        colorscale: 'RdBu', reversescale: series.quantity !== 'latency_ms', zmin: -largest, zmax: largest, colorbar: { title: { text: unit } } }],
        { title: { text: `effect on ${esc(series.name)}`, x: 0.02, xanchor: 'left', font: { size: 14 } }, yaxis: { autorange: 'reversed' }, margin: { l: 130, b: 110, t: 50, r: 10 } },
        plotConfig);
    };
    await draw('effects-latency', latency[0], 'ms');
    if (onObjective) {
      await draw('effects-objective', onObjective, '');
    }
  }

  // Steer a search: start it, watch its evaluations stream in (server-sent events), act on it. A reloaded page re-attaches.
  const search = { events: null, rows: [], drawn: 0, selected: new Set(), run: null, pending: null, best: -1, budget: null };

  function searchStatus(text, isError = false) {
    $('search-status').textContent = text;
    $('search-status').classList.toggle('error', isError);
  }

  function fillSearchForm(measured) {
    const options = measured.map(n => `<option>${esc(n)}</option>`).join('');
    $('search-target').innerHTML = options;
    $('search-proxy').innerHTML = '<option value="">none</option>' + options;
    $('search-objective').innerHTML = $('objective').innerHTML;
  }

  async function startSearch() {
    const proxy = $('search-proxy').value || null, k = $('search-k').value;
    const run = await post('/api/search', {
      space: state.space, target: $('search-target').value, proxy, target_samples: k ? Number(k) : null, method: proxy ? $('search-method').value || null : null, mode: $('search-mode').value, objective: $('search-objective').value,
      max_latency_ms: Number($('search-budget').value), strategy: $('search-strategy').value, evaluations: Number($('search-evaluations').value),
      seed: Number($('search-seed').value), evaluations_per_second: Number($('search-pace').value), start_paused: $('search-paused').checked,
    });
    await webgl();
    attach(run);
    return run;
  }

  function steer(action) {
    return post('/api/search/actions', action).then(run => { showRun(run); return run; }).catch(error => { searchStatus(error.message, true); throw error; });
  }

  // A fast search is drawn at most four times a second: what arrives in between is appended in one go, so hovers and
  // brushes elsewhere on the page keep answering.
  function scheduleDraw() {
    if (search.pending) {
      return;
    }
    search.pending = setTimeout(() => {
      search.pending = null;
      drawSearch(search.run, false);
    }, 250);
  }

  function attach(run) {
    search.events?.close();
    clearTimeout(search.pending);
    search.pending = null;
    search.rows = [];
    search.drawn = 0;
    search.selected.clear();
    search.run = null;
    showRun(run);
    drawSearch(run, true);
    const events = new EventSource('/api/search/events?from=0');
    search.events = events;
    events.addEventListener('evaluations', event => {
      const message = JSON.parse(event.data);
      if (message.from === search.rows.length) {
        search.rows.push(...message.rows);
        scheduleDraw();
      }
    });
    events.addEventListener('state', event => showRun(JSON.parse(event.data)));
    events.addEventListener('end', () => { events.close(); clearTimeout(search.pending); search.pending = null; drawSearch(search.run, false); });
  }

  function showRun(run) {
    const first = search.run?.id !== run.id;
    search.run = run;
    state.search = run;
    if (first) {
      // The form shows the run's settings (after a reload too), so the next start begins from them.
      const setting = { 'search-target': run.latency.target, 'search-proxy': run.latency.proxy ?? '', 'search-k': run.latency.target_samples ?? '', 'search-method': run.latency.method ?? '',
        'search-mode': run.latency.mode, 'search-objective': run.objective, 'search-strategy': run.strategy, 'search-budget': run.max_latency_ms,
        'search-evaluations': run.evaluations, 'search-seed': run.seed };
      for (const [id, value] of Object.entries(setting)) {
        $(id).value = value;
      }
      $('steer-budget').value = currentBudget(run);
      $('steer-decision').innerHTML = run.decisions.map((d, i) => `<option value="${i}">${esc(d.name)}</option>`).join('');
      $('steer-choice').innerHTML = run.decisions[0].choices.map((c, i) => `<option value="${i}">${esc(c)}</option>`).join('');
    }
    const budget = currentBudget(run);
    const result = run.result;
    searchStatus(`search ${run.id}: ${run.status}; ${search.rows.length.toLocaleString('en')} evaluations on ${run.latency.target} under ${fixed(budget, 3)} ms` +
      (result?.ops ? `; best ${result.ops}: ${run.objective} ${fixed(result.objective, 4)} at ${fixed(result.predicted_ms, 3)} ms` : '') +
      (run.messages.length ? `; ${run.messages[run.messages.length - 1]}` : '') + (run.error ? `; ${run.error}` : ''), run.status === 'failed');
    $('search-actions').innerHTML = run.actions.map(a => `<li data-step="${a.step}">at evaluation ${a.evaluations}: ${esc(describeAction(run, a.action))}</li>`).join('');
    const live = run.status === 'running' || run.status === 'paused';
    for (const id of ['search-pause', 'search-resume', 'search-stop', 'steer-ban', 'steer-pin', 'steer-clear', 'steer-move', 'steer-promote']) {
      $(id).disabled = !live;
    }
    $('search-start').disabled = live;
  }

  function currentBudget(run) {
    const moved = run.actions.filter(a => a.action.kind === 'budget');
    return moved.length ? moved[moved.length - 1].action.max_latency_ms : run.max_latency_ms;
  }

  function describeAction(run, action) {
    const decision = action.decision ?? null, choice = action.choice ?? null;
    const at = decision === null ? '' : run.decisions[decision].name;
    switch (action.kind) {
      case 'ban': case 'pin': return `${action.kind} ${run.decisions[decision].choices[choice]} at ${at}`;
      case 'clear': return `clear ${at}`;
      case 'budget': return `budget ${action.max_latency_ms} ms`;
      case 'promote': return `promote ${action.architectures.join(', ')}`;
      default: return action.kind;
    }
  }

  // Evaluations are appended (extendTraces) as they arrive, so a fast search redraws only what is new.
  function drawSearch(run, fresh) {
    if (!run) {
      return;
    }
    const rows = search.rows;
    const best = rows.reduce((b, r, i) => (r[1] <= currentBudget(run) && (b < 0 || r[2] > rows[b][2]) ? i : b), -1);
    const budget = currentBudget(run);
    const shapes = [{ type: 'line', xref: 'x', yref: 'paper', x0: budget, x1: budget, y0: 0, y1: 1, line: { color: '#555', dash: 'dash' } }];
    if (fresh || search.drawn === 0) {
      search.best = -1;
      search.budget = null;
      Plotly.react('search-chart', [
        { type: 'scattergl', mode: 'markers', name: 'evaluated', x: [], y: [], text: [], customdata: [], marker: { size: 5, color: [], colorscale: 'Viridis', cmin: 0, cmax: run.evaluations, colorbar: { title: { text: 'evaluation' } } },
          hovertemplate: '#%{customdata}: %{text}<br>%{x:.3f} ms<br>%{y:.4g}<extra></extra>' },
        { type: 'scatter', mode: 'markers', name: 'best', x: [], y: [], marker: { size: 14, symbol: 'star', color: '#d62728' }, hoverinfo: 'skip' },
        { type: 'scatter', mode: 'markers', name: 'selected', x: [], y: [], marker: { size: 11, symbol: 'circle-open', color: '#ff7f0e', line: { width: 2 } }, hoverinfo: 'skip' },
      ], {
        title: { text: `search ${run.id} on ${esc(run.latency.target)} (${run.strategy})`, x: 0.02, xanchor: 'left', font: { size: 14 } }, showlegend: false, dragmode: 'select',
        xaxis: { title: { text: 'latency (ms)' } }, yaxis: { title: { text: esc(run.objective) } }, margin: { l: 70, b: 60, t: 50, r: 10 }, shapes,
      }, { displaylogo: false, responsive: false });
      const chart = $('search-chart');
      chart.removeAllListeners?.('plotly_selected');
      chart.removeAllListeners?.('plotly_click');
      chart.on('plotly_selected', event => {
        search.selected = new Set((event?.points ?? []).filter(p => p.curveNumber === 0).map(p => rows[p.pointIndex][0]));
        markSearchSelection();
      });
      chart.on('plotly_click', event => {
        const point = event.points.find(p => p.curveNumber === 0);
        if (point) {
          search.selected = new Set([rows[point.pointIndex][0]]);
          markSearchSelection();
          select(rows[point.pointIndex][0]).catch(error => searchStatus(error.message, true));
        }
      });
      search.drawn = 0;
    }
    if (rows.length > search.drawn) {
      const added = rows.slice(search.drawn);
      const first = search.drawn;
      Plotly.extendTraces('search-chart', {
        x: [added.map(r => r[1])], y: [added.map(r => r[2])], text: [added.map(r => r[0])],
        customdata: [added.map((_, i) => first + i + 1)], 'marker.color': [added.map((_, i) => first + i)],
      }, [0]);
      search.drawn = rows.length;
    }
    // Only what changed is redrawn: every restyle or relayout redraws the chart.
    if (fresh || best !== search.best) {
      Plotly.restyle('search-chart', { x: [best < 0 ? [] : [rows[best][1]]], y: [best < 0 ? [] : [rows[best][2]]] }, [1]);
      search.best = best;
    }
    if (fresh || budget !== search.budget) {
      Plotly.relayout('search-chart', { shapes });
      search.budget = budget;
    }
  }

  function markSearchSelection() {
    const chosen = search.rows.filter(r => search.selected.has(r[0]));
    Plotly.restyle('search-chart', { x: [chosen.map(r => r[1])], y: [chosen.map(r => r[2])] }, [2]);
    showBrushed();
  }

  function wireSearch() {
    $('search-form').addEventListener('submit', event => {
      event.preventDefault();
      startSearch().catch(error => searchStatus(error.message, true));
    });
    $('steer-decision').addEventListener('change', () => {
      const run = search.run;
      $('steer-choice').innerHTML = run.decisions[Number($('steer-decision').value)].choices.map((c, i) => `<option value="${i}">${esc(c)}</option>`).join('');
    });
    const at = () => ({ decision: Number($('steer-decision').value), choice: Number($('steer-choice').value) });
    $('search-pause').onclick = () => steer({ kind: 'pause' }).catch(() => {});
    $('search-resume').onclick = () => steer({ kind: 'resume' }).catch(() => {});
    $('search-stop').onclick = () => steer({ kind: 'stop' }).catch(() => {});
    $('steer-ban').onclick = () => steer({ kind: 'ban', ...at() }).catch(() => {});
    $('steer-pin').onclick = () => steer({ kind: 'pin', ...at() }).catch(() => {});
    $('steer-clear').onclick = () => steer({ kind: 'clear', decision: at().decision }).catch(() => {});
    $('steer-move').onclick = () => steer({ kind: 'budget', max_latency_ms: Number($('steer-budget').value) }).catch(() => {});
    $('steer-promote').onclick = () => steer({ kind: 'promote', architectures: promotable() }).catch(() => {});
  }

  async function reattach() {
    const run = await api('/api/search'); // null: no search yet
    if (run !== null) {
      await webgl();
      attach(run);
    }
  }

  function csv(chart) {
    if (chart === 'explain' && state.explained) {
      const e = state.explained;
      return ['device,part,ms', ...e.devices.flatMap(d => [`${d.device},reference ${d.reference_ops},${d.reference_ms}`,
        ...d.parts.map(p => `${d.device},"${p.decision}: ${p.choice}",${p.ms}`), `${d.device},predicted,${d.predicted_ms}`, `${d.device},measured,${d.measured_ms ?? ''}`])].join('\n');
    }
    if (chart === 'model-explain' && state.model) {
      const m = state.model;
      return ['kernel,operator,nodes,as,ms,share', `0,run overhead,,,${m.overhead_ms},${m.overhead_ms / m.predicted_ms}`,
        ...m.kernels.map((k, i) => `${i + 1},${k.operator},"${k.nodes.join(' ')}","${k.as}",${k.predicted_ms},${k.share}`), `,predicted,,,${m.predicted_ms},1`].join('\n');
    }
    if (chart === 'search-chart') {
      return ['evaluation,ops,latency_ms,objective', ...search.rows.map((r, i) => `${i + 1},${r[0]},${r[1]},${r[2]}`)].join('\n');
    }
    if (chart === 'heatmap' && state.matrix) {
      const m = state.matrix;
      return ['proxy,' + m.devices.join(','), ...m.devices.map((d, i) => `${d},${m.srcc[i].join(',')}`)].join('\n');
    }
    if (chart.startsWith('effects-') && state.effects) {
      const series = chart === 'effects-latency' ? state.effects.shown : state.effects.series.find(s => s.quantity !== 'latency_ms');
      return series ? ['decision,choice,effect', ...series.effects.flatMap((row, d) => row.map((e, c) =>
        `${state.effects.decisions[d].name},${state.effects.decisions[d].choices[c]},${e ?? ''}`))].join('\n') : '';
    }
    if (chart.startsWith('front-') && state.fronts) {
      const { proxy, target, objective, columns: c } = state.fronts;
      return [`ops,index,${proxy},${target},${objective}`,
        ...c.ops.map((o, i) => `${o},${c.index[i] ?? ''},${c.latencies_ms[proxy][i]},${c.latencies_ms[target][i]},${c.objective_values[i]}`)].join('\n');
    }
    if (chart === 'scatter' && state.columns) {
      const { proxy, target } = state.pair, c = state.columns;
      return [`ops,index,${proxy},${target},brushed`,
        ...c.ops.map((o, i) => `${o},${c.index[i] ?? ''},${c.latencies_ms[proxy][i]},${c.latencies_ms[target][i]},${state.brushed.has(o) ? 1 : 0}`)].join('\n');
    }
    return '';
  }

  function download(name, text, type) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type }));
    link.download = name;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  function addDownloads() {
    for (const caption of document.querySelectorAll('.downloads')) {
      const chart = caption.dataset.chart;
      for (const format of ['png', 'svg']) {
        const button = document.createElement('button');
        button.textContent = format.toUpperCase();
        button.onclick = () => Plotly.downloadImage(chart, { format, filename: chart, width: 900, height: 760 });
        caption.append(button);
      }
      const button = document.createElement('button');
      button.textContent = 'CSV';
      button.onclick = () => download(`${chart}.csv`, csv(chart), 'text/csv');
      caption.append(button);
    }
  }

  async function start() {
    addDownloads();
    $('compare').addEventListener('submit', event => {
      event.preventDefault();
      compare($('compare-devices').value).catch(error => status(error.message, true));
    });
    $('objective').addEventListener('change', () => {
      if (state.pair) {
        openFronts(state.pair.proxy, state.pair.target).catch(error => { $('fronts-status').textContent = error.message; });
        openEffects(state.pair.target, $('objective').value).catch(error => status(error.message, true));
      }
    });
    $('budget').addEventListener('input', event => setBudget(10 ** Number(event.target.value)));
    $('model-form').addEventListener('submit', event => {
      event.preventDefault();
      const file = $('model-file').files[0];
      if (!file) {
        $('model-status').textContent = 'choose an ONNX model file first';
        return;
      }
      predictModel(file, $('model-device').value, Number($('model-batch').value) || null).catch(error => { $('model-status').textContent = error.message; });
    });
    $('space').addEventListener('change', event => switchSpace(event.target.value).catch(error => status(error.message, true)));
    wireSearch();
    // The first chart, drawn as soon as its answer is in; then the WebGL scatter's code is loaded, ready for a click.
    const opening = compare().catch(error => status(error.message, true)).then(webgl);
    const measured = await loadDevices();
    $('model-device').innerHTML = state.devices.map(d => `<option>${esc(d.name)}</option>`).join('');
    await loadSpaces();
    await loadObjectives();
    fillSearchForm(measured);
    await reattach();
    await opening;
  }

  const ready = start().catch(error => status(error.message, true));
  return { ready, state, brush, switchSpace, predictModel, compare, openPair, openFronts, setBudget, openEffects, select, explain, search, startSearch, steer };
})();
window.workbench = workbench;

/*
 * Descent Lab — browser side.
 *
 * The server sends the contour once per surface (surface-store) and the whole
 * trajectories once per change (paths-store, float32 base64). Everything that
 * happens per animation frame happens here, without a server call:
 *
 *   render()      clientside callback: gives Plotly a new figure only when the
 *                 surface, the view or a chart's axes change (layouts and the
 *                 contour come from ui/figures.py);
 *   drawFrame()   draws every run — whole path, travelled path, head, start, end
 *                 marker, chart curves and frame line — on a canvas laid over each
 *                 graph, so sliders and frames never make Plotly redraw the contour;
 *   legend, hover the legend above the graph and the pointer readouts;
 *   PNG           one picture of graph, paths, legend and charts;
 *   the player    play / pause / step / scrub / speed / reset, keyboard shortcuts;
 *   clicks        the exact pointer position on the contour -> click-store.
 *
 * window.descentLab exposes the controller for tests and benchmarks: frame,
 * playing, runs (decoded paths), play/pause/seek/stepBy/reset, frames and drawMs
 * (frames drawn, time spent), renders (figures rebuilt from new stores) and
 * lastPlotAt (performance.now() of Plotly's last redraw of a graph).
 */
(function () {
  "use strict";

  var IDS = {
    main: "main-graph", loss: "loss-graph", dist: "dist-graph",
    play: "play", back: "step-back", fwd: "step-forward", reset: "reset",
    scrub: "scrub", speed: "speed", label: "frame-label",
    click: "click-store", frameSync: "frame-sync-store", legend: "legend", png: "png-button",
  };
  var FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";
  var BASE_RATE = 30; // steps per second at 1x

  var ctl = {
    frame: 0,          // current step (integer)
    position: 0,       // fractional position while playing
    maxFrame: 0,
    playing: false,
    speed: 1,
    runs: [],          // decoded runs: {x, y, loss, dist, n, status, ...}
    paths: null,
    surface: null,
    view: "overlay",
    lastTime: null,
    frames: 0,         // frames drawn (for the fps benchmark)
    drawMs: 0,         // time spent in drawFrame
    draw: {main: true, charts: true},  // what drawFrame updates (benchmarks toggle these)
    chartKeys: {},     // what each chart's Plotly figure was last built for
    ranges: {},        // each chart's current value axis
  };
  window.descentLab = ctl;

  // Extension points for assets/instruments.js (issue 4). Each hook list holds
  // functions called on every drawn frame: "mainUnder" (gd, ctx) on the main graph's
  // canvas after the faint whole paths, "mainOver" (gd, ctx) after the runs, "frame"
  // () after all graphs; "hover" (run, j) returns extra HTML for the path readout.
  ctl.hooks = {mainUnder: [], mainOver: [], frame: [], hover: []};
  function runHooks(name, a, b) {
    var list = ctl.hooks[name], html = "";
    for (var i = 0; i < list.length; i++) {
      try { html += list[i](a, b) || ""; } catch (e) { if (window.console) { window.console.error(e); } }
    }
    return html;
  }

  // --------------------------------------------------------------- helpers
  function decodeF4(spec) {
    if (!spec || typeof spec.bdata !== "string") { return new Float32Array(0); }
    var bin = atob(spec.bdata);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Float32Array(bytes.buffer);
  }

  function nearestDistance(x, y, minimizers) {
    if (!minimizers || !minimizers.length) { return null; }
    var out = new Float32Array(x.length);
    for (var i = 0; i < x.length; i++) {
      var best = Infinity;
      for (var j = 0; j < minimizers.length; j++) {
        var dx = x[i] - minimizers[j][0], dy = y[i] - minimizers[j][1];
        var d = Math.sqrt(dx * dx + dy * dy);
        if (d < best) { best = d; }
      }
      // a path that lands exactly on the minimum stays visible on the log axis
      out[i] = Math.max(best, 1e-30);
    }
    return out;
  }

  function fmt(v) {
    if (typeof v === "boolean") { return v ? "on" : "off"; }
    if (typeof v !== "number" || !isFinite(v)) { return String(v); }
    if (v === 0) { return "0"; }
    var a = Math.abs(v);
    if (a >= 1e-4 && a < 1e5) { return String(Number(v.toPrecision(3))); }
    return v.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
  }

  function graphDiv(id) {
    var el = document.getElementById(id);
    return el ? el.querySelector(".js-plotly-plot") : null;
  }

  function clone(obj) { return Object.assign({}, obj); }

  function visibleCount(n, frame) { return Math.max(1, Math.min(frame + 1, n)); }

  function decodeRuns(paths) {
    return paths.runs.map(function (run) {
      var x = decodeF4(run.x), y = decodeF4(run.y);
      return {
        index: run.index, n: run.n, status: run.status, label: run.label, symbol: run.symbol,
        color: run.color, statusText: run.status_text,
        x: x, y: y, loss: decodeF4(run.loss),
        dist: nearestDistance(x, y, paths.minimizers),
      };
    });
  }

  // The contour arrives as base64 typed-array specs; Plotly would decode them again
  // on every update, so decode once per surface (z as rows of one Float32Array).
  function decodeContour(trace) {
    var out = clone(trace);
    out.x = decodeF4(trace.x); out.y = decodeF4(trace.y);
    var flat = decodeF4(trace.z), shape = String(trace.z.shape || "").split(",").map(Number);
    var rows = shape[0] || out.y.length, cols = shape[1] || out.x.length, z = new Array(rows);
    for (var r = 0; r < rows; r++) { z[r] = flat.subarray(r * cols, (r + 1) * cols); }
    out.z = z;
    return out;
  }


  // ------------------------------------------------------ figure assembly
  // Plotly draws what changes only with the surface: the contour, the minima and
  // the axes. Everything that depends on the runs — whole paths (faint), the path
  // travelled so far, heads, end markers, start, the curves on the charts and the
  // frame line — is drawn on a canvas laid over each graph. A slider therefore
  // never makes Plotly recompute the contour (a restyle or react of the main graph
  // recalculates it: 0.15-0.5 s here), and an animation frame is one canvas redraw.
  var GHOST_ALPHA = 0.3;
  var SYMBOLS = ["circle", "square", "diamond", "triangle-up", "pentagon", "hexagon", "star", "triangle-down"];
  var GLYPHS = {"circle": "●", "square": "■", "diamond": "◆", "triangle-up": "▲", "pentagon": "⬟",
                "hexagon": "⬢", "star": "★", "triangle-down": "▼"};

  function symbolOf(run, i) { return run.symbol || SYMBOLS[i % SYMBOLS.length]; }  // ui/figures.py's

  function axisNames(i) { return i === 0 ? ["x", "y"] : ["x" + (i + 1), "y" + (i + 1)]; }

  function runAxes(i) { return ctl.view === "grid" ? axisNames(i) : ["x", "y"]; }

  function mainFigure() {
    var surface = ctl.surface, data = [], layout;
    var contour = clone(surface.contour);
    contour.hoverinfo = "skip"; delete contour.hovertemplate;  // the pointer readout is ours
    if (ctl.view === "grid" && ctl.runs.length) {
      layout = clone(ctl.paths.templates.grid_layout);
      layout.annotations = [];  // subplot titles are drawn with the runs (they follow the sliders)
      ctl.runs.forEach(function (run, i) {
        var ax = axisNames(i);
        var c = clone(contour); c.xaxis = ax[0]; c.yaxis = ax[1]; data.push(c);
        if (surface.minima) { var m = clone(surface.minima); m.xaxis = ax[0]; m.yaxis = ax[1]; data.push(m); }
      });
    } else {
      layout = clone(surface.layout);
      layout.showlegend = false;  // the legend is HTML above the graph (it follows the sliders)
      data.push(contour);
      if (surface.minima) { data.push(surface.minima); }
    }
    layout.uirevision = surface.key + JSON.stringify(surface.params) + ctl.view + ctl.runs.length;
    return {data: data, layout: layout};
  }

  function mainKey() {
    return [ctl.surfaceId, ctl.view, ctl.view === "grid" ? ctl.runs.length : 0].join("|");
  }

  function valueRange(what) {
    var lo = Infinity, hi = -Infinity, log = chartIsLog(what);
    ctl.runs.forEach(function (run) {
      var values = what === "loss" ? run.loss : run.dist;
      if (!values) { return; }
      for (var j = 0; j < values.length; j++) {
        var v = values[j];
        if (!isFinite(v) || (log && v <= 0)) { continue; }
        if (v < lo) { lo = v; }
        if (v > hi) { hi = v; }
      }
    });
    if (!(hi >= lo)) { return log ? [-1, 1] : [0, 1]; }
    if (log) {
      var a = Math.log10(lo), b = Math.log10(hi), pad = Math.max(0.05 * (b - a), 0.1);
      return [a - pad, b + pad];
    }
    var span = hi - lo || Math.abs(hi) || 1;
    return [lo - 0.05 * span, hi + 0.05 * span];
  }

  function chartIsLog(what) {
    if (what === "loss") { return ctl.paths.loss_kind === "gap"; }
    return (ctl.paths.minimizers || []).length > 0;
  }

  // Keep a chart's value axis while the data still fills most of it: a slider then
  // redraws only the canvas, not the chart (a Plotly redraw costs tens of ms).
  function stableRange(what, range) {
    var old = ctl.ranges[what];
    if (old && old.log === chartIsLog(what) && range[0] >= old.range[0] && range[1] <= old.range[1] &&
        (range[1] - range[0]) >= 0.6 * (old.range[1] - old.range[0])) {
      return old.range;
    }
    ctl.ranges[what] = {range: range, log: chartIsLog(what)};
    return range;
  }

  function chartFigure(what) {
    var layout = clone(ctl.paths.templates[what].layout), log = chartIsLog(what);
    var range = stableRange(what, valueRange(what)), decades = range[1] - range[0];
    layout.yaxis = clone(layout.yaxis);
    layout.yaxis.type = log ? "log" : "linear";
    layout.yaxis.range = range; layout.yaxis.autorange = false;
    if (log) { layout.yaxis.dtick = Math.max(1, Math.ceil(decades / 6)); }  // whole decades
    layout.xaxis = clone(layout.xaxis);
    layout.xaxis.range = [0, Math.max(1, ctl.maxFrame)]; layout.xaxis.autorange = false;
    layout.hovermode = false;  // the readout is ours: every run's value at the pointer's step
    if (what === "dist" && !log) {
      layout.annotations = [{text: "this surface has no minimum", showarrow: false, xref: "paper",
                             yref: "paper", x: 0.5, y: 0.5, font: {color: "#7b8794"}}];
    }
    return {data: [], layout: layout};
  }

  // ------------------------------------------------------ per-frame drawing
  function overlayCanvas(gd) {
    var canvas = gd._descentCanvas;
    if (!canvas || !canvas.isConnected) {
      canvas = document.createElement("canvas");
      canvas.className = "frame-overlay";
      canvas.setAttribute("aria-hidden", "true");
      gd.appendChild(canvas);
      gd._descentCanvas = canvas;
    }
    var dpr = window.devicePixelRatio || 1, w = gd.clientWidth, h = gd.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
      canvas.style.width = w + "px"; canvas.style.height = h + "px";
    }
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return ctx;
  }

  // Redraw the overlay whenever Plotly redraws a graph (new figure, zoom, pan,
  // resize): the canvas must use the axes Plotly just laid out.
  function hookGraphs(attempt) {
    var pending = false;
    [IDS.main, IDS.loss, IDS.dist].forEach(function (id) {
      var gd = graphDiv(id);
      if (!gd || !gd.on) { pending = true; return; }
      if (gd._descentHooked) { return; }
      gd._descentHooked = true;
      gd.on("plotly_afterplot", function () { ctl.lastPlotAt = performance.now(); drawFrame(); });
      gd.on("plotly_relayouting", function () { window.requestAnimationFrame(drawFrame); });
      gd.addEventListener("pointermove", function (event) { hover(gd, id, event); });
      gd.addEventListener("pointerleave", function () { hideTip(gd); });
    });
    if (pending && (attempt || 0) < 100) { window.setTimeout(function () { hookGraphs((attempt || 0) + 1); }, 50); }
    else { drawFrame(); }
  }

  function axisPair(gd, xname, yname) {
    var full = gd._fullLayout;
    if (!full) { return null; }
    var xa = full[xname === "x" ? "xaxis" : "xaxis" + xname.slice(1)];
    var ya = full[yname === "y" ? "yaxis" : "yaxis" + yname.slice(1)];
    return xa && ya && xa.c2p && ya.c2p ? [xa, ya] : null;
  }

  function clipTo(ctx, xa, ya) {
    ctx.beginPath();
    ctx.rect(xa._offset, ya._offset, xa._length, ya._length);
    ctx.clip();
  }

  function marker(ctx, symbol, px, py, r, color) {
    ctx.beginPath();
    if (symbol === "square") { ctx.rect(px - r * 0.85, py - r * 0.85, r * 1.7, r * 1.7); }
    else if (symbol === "diamond") { ctx.moveTo(px, py - r * 1.2); ctx.lineTo(px + r, py); ctx.lineTo(px, py + r * 1.2); ctx.lineTo(px - r, py); ctx.closePath(); }
    else if (symbol === "triangle-up") { ctx.moveTo(px, py - r * 1.15); ctx.lineTo(px + r * 1.1, py + r * 0.8); ctx.lineTo(px - r * 1.1, py + r * 0.8); ctx.closePath(); }
    else if (symbol === "triangle-down") { ctx.moveTo(px, py + r * 1.15); ctx.lineTo(px + r * 1.1, py - r * 0.8); ctx.lineTo(px - r * 1.1, py - r * 0.8); ctx.closePath(); }
    else if (symbol === "pentagon" || symbol === "hexagon" || symbol === "star") {
      var corners = symbol === "hexagon" ? 6 : 5, pts = symbol === "star" ? 10 : corners;
      for (var q = 0; q < pts; q++) {
        var rr = symbol === "star" && q % 2 ? r * 0.5 : r * 1.15;
        var a = -Math.PI / 2 + (2 * Math.PI * q) / pts;
        if (q === 0) { ctx.moveTo(px + rr * Math.cos(a), py + rr * Math.sin(a)); }
        else { ctx.lineTo(px + rr * Math.cos(a), py + rr * Math.sin(a)); }
      }
      ctx.closePath();
    }
    else { ctx.arc(px, py, r, 0, 2 * Math.PI); }
    ctx.fillStyle = color; ctx.fill();
    ctx.lineWidth = 1.6; ctx.strokeStyle = "#ffffff"; ctx.stroke();
  }

  function cross(ctx, px, py, r, color) {
    ctx.beginPath();
    ctx.moveTo(px - r, py - r); ctx.lineTo(px + r, py + r);
    ctx.moveTo(px + r, py - r); ctx.lineTo(px - r, py + r);
    ctx.lineWidth = 5; ctx.strokeStyle = "#ffffff"; ctx.stroke();
    ctx.lineWidth = 2.6; ctx.strokeStyle = color; ctx.stroke();
  }

  // What does not move during playback (whole paths, chart curves, titles, start)
  // is drawn once per change of paths or axes into a cached layer, with every
  // point's pixel position; a frame then copies the layer and draws the moving part.
  function axesSignature(gd) {
    var fl = gd._fullLayout, parts = [gd.clientWidth, gd.clientHeight, ctl.pathsVersion, ctl.view];
    Object.keys(fl).forEach(function (k) {
      if (/^[xy]axis\d*$/.test(k) && fl[k] && fl[k].range) { parts.push(k, fl[k].range.join(","), fl[k]._offset, fl[k]._length); }
    });
    return parts.join("|");
  }

  function staticLayer(gd, build) {
    var signature = axesSignature(gd), layer = gd._descentLayer;
    if (layer && layer.signature === signature) { return layer; }
    var dpr = window.devicePixelRatio || 1, w = gd.clientWidth, h = gd.clientHeight;
    var canvas = (layer && layer.canvas) || document.createElement("canvas");
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    layer = {signature: signature, canvas: canvas, w: w, h: h, pix: []};
    build(ctx, layer);
    gd._descentLayer = layer;
    return layer;
  }

  // Plotly's linear map from an axis' "linearised" value (log10 on log axes) to
  // pixels is l2p(l) = _m * l + _b; inlined here, it is ~20x faster than c2p per point.
  function mapper(axis) {
    var m = axis._m, b = axis._b + axis._offset, log = axis.type === "log";
    if (typeof m !== "number" || typeof b !== "number") {
      return function (v) { return axis._offset + axis.c2p(v); };
    }
    return log ? function (v) { return v > 0 ? m * Math.log10(v) + b : NaN; } : function (v) { return m * v + b; };
  }

  function pixels(xa, ya, xs, ys, n) {
    var X = new Float32Array(n), Y = new Float32Array(n), fx = mapper(xa), fy = mapper(ya);
    for (var j = 0; j < n; j++) { X[j] = fx(xs ? xs[j] : j); Y[j] = fy(ys[j]); }
    return {X: X, Y: Y, xa: xa, ya: ya};
  }

  function polyline(ctx, p, k) {  // points 0..k-1, broken where one cannot be drawn
    ctx.beginPath();
    var open = false;
    for (var j = 0; j < k; j++) {
      var X = p.X[j], Y = p.Y[j];
      if (!isFinite(X) || !isFinite(Y)) { open = false; continue; }
      if (open) { ctx.lineTo(X, Y); } else { ctx.moveTo(X, Y); open = true; }
    }
  }

  function startMarker(ctx, xa, ya) {
    var start = ctl.paths.start;
    ctx.beginPath(); ctx.arc(xa._offset + xa.c2p(start[0]), ya._offset + ya.c2p(start[1]), 7, 0, 2 * Math.PI);
    ctx.lineWidth = 2; ctx.strokeStyle = "#1f2933"; ctx.stroke();
  }

  function buildMainLayer(gd) {
    return function (ctx, layer) {
      ctx.lineJoin = "round"; ctx.lineCap = "round";
      var seen = {};
      ctl.runs.forEach(function (run, i) {
        var names = runAxes(i), axes = axisPair(gd, names[0], names[1]);
        if (!axes) { layer.pix.push(null); return; }
        var xa = axes[0], ya = axes[1], p = pixels(xa, ya, run.x, run.y, run.n);
        layer.pix.push(p);
        if (ctl.view === "grid") {  // subplot title, in the run's colour (follows the sliders)
          ctx.font = "600 11px " + FONT; ctx.fillStyle = run.color; ctx.textAlign = "center";
          ctx.fillText(run.label, xa._offset + xa._length / 2, ya._offset - 6);
        }
        ctx.save(); clipTo(ctx, xa, ya);
        polyline(ctx, p, run.n);  // the whole path, faint: where the run is going
        ctx.globalAlpha = GHOST_ALPHA; ctx.lineWidth = 1.6; ctx.strokeStyle = run.color; ctx.stroke();
        ctx.globalAlpha = 1;
        if (!seen[names[0]]) { seen[names[0]] = true; startMarker(ctx, xa, ya); }
        ctx.restore();
      });
      if (!ctl.runs.length) {
        var axes0 = axisPair(gd, "x", "y");
        if (axes0) { startMarker(ctx, axes0[0], axes0[1]); }
      }
    };
  }

  function drawMain(gd) {
    var layer = staticLayer(gd, buildMainLayer(gd)), ctx = overlayCanvas(gd);
    ctx.drawImage(layer.canvas, 0, 0, layer.w, layer.h);
    runHooks("mainUnder", gd, ctx);
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    ctl.runs.forEach(function (run, i) {
      var p = layer.pix[i];
      if (!p) { return; }
      var k = visibleCount(run.n, ctl.frame);
      ctx.save(); clipTo(ctx, p.xa, p.ya);
      polyline(ctx, p, k);
      ctx.lineWidth = 2.2; ctx.strokeStyle = run.color; ctx.stroke();
      if (k <= 400) {  // dots at each iterate show the step sizes
        ctx.fillStyle = run.color;
        for (var d = 0; d < k; d++) { ctx.fillRect(p.X[d] - 1.5, p.Y[d] - 1.5, 3, 3); }
      }
      var hx = p.X[k - 1], hy = p.Y[k - 1];
      if (run.status === "diverged" && k === run.n) { cross(ctx, hx, hy, 7, run.color); }
      else { marker(ctx, symbolOf(run, i), hx, hy, 6, run.color); }
      ctx.restore();
    });
    runHooks("mainOver", gd, ctx);
  }

  function chartValues(run, what) { return what === "loss" ? run.loss : run.dist; }

  function drawChart(gd, what) {
    var axes = axisPair(gd, "x", "y");
    if (!axes) { return; }
    var xa = axes[0], ya = axes[1];
    var layer = staticLayer(gd, function (lctx, lay) {
      lctx.save(); clipTo(lctx, xa, ya); lctx.lineJoin = "round";
      ctl.runs.forEach(function (run) {
        var values = chartValues(run, what);
        if (!values) { lay.pix.push(null); return; }
        var p = pixels(xa, ya, null, values, run.n);
        lay.pix.push(p);
        polyline(lctx, p, run.n);
        lctx.lineWidth = 1.7; lctx.strokeStyle = run.color; lctx.stroke();
      });
      lctx.restore();
    });
    var ctx = overlayCanvas(gd);
    ctx.drawImage(layer.canvas, 0, 0, layer.w, layer.h);
    ctx.save(); clipTo(ctx, xa, ya);
    var fx = xa._offset + xa.c2p(ctl.frame);
    ctx.beginPath(); ctx.moveTo(fx, ya._offset); ctx.lineTo(fx, ya._offset + ya._length);
    ctx.setLineDash([3, 3]); ctx.lineWidth = 1; ctx.strokeStyle = "#52606d"; ctx.stroke(); ctx.setLineDash([]);
    ctl.runs.forEach(function (run, i) {
      var p = layer.pix[i];
      if (!p) { return; }
      var k = visibleCount(run.n, ctl.frame) - 1;
      if (isFinite(p.Y[k])) { marker(ctx, symbolOf(run, i), p.X[k], p.Y[k], 4.5, run.color); }
    });
    ctx.restore();
  }

  function drawFrame() {
    if (!ctl.paths) { return; }
    var t0 = performance.now();
    var gd = graphDiv(IDS.main);
    if (gd && gd._fullLayout && ctl.draw.main) { drawMain(gd); }
    var gl = graphDiv(IDS.loss);
    if (gl && gl._fullLayout && ctl.draw.charts) { drawChart(gl, "loss"); }
    var gdd = graphDiv(IDS.dist);
    if (gdd && gdd._fullLayout && ctl.draw.charts) { drawChart(gdd, "dist"); }
    runHooks("frame");
    ctl.frames += 1;
    ctl.lastDrawAt = performance.now();
    ctl.lastDrawMs = ctl.lastDrawAt - t0;
    ctl.drawMs += ctl.lastDrawAt - t0;
    updatePlayer();
  }
  ctl.drawFrame = drawFrame;

  // ------------------------------------------------------------ legend, hover
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function drawLegend() {
    var box = document.getElementById(IDS.legend);
    if (!box) { return; }
    box.innerHTML = ctl.runs.map(function (run, i) {
      return '<span class="legend-item" style="--run-color:' + escapeHtml(run.color) + '">' +
        '<span class="legend-glyph" aria-hidden="true">' + GLYPHS[symbolOf(run, i)] + "</span>" +
        escapeHtml(run.label) + '<span class="legend-status">' + escapeHtml(run.statusText) + "</span></span>";
    }).join("");
  }

  function tipFor(gd) {
    var tip = gd._descentTip;
    if (!tip || !tip.isConnected) {
      tip = document.createElement("div");
      tip.className = "hover-tip";
      tip.setAttribute("role", "status");
      gd.appendChild(tip);
      gd._descentTip = tip;
    }
    return tip;
  }

  function hideTip(gd) { if (gd._descentTip) { gd._descentTip.style.display = "none"; } }

  function showTip(gd, html, px, py) {
    var tip = tipFor(gd);
    tip.innerHTML = html;
    tip.style.display = "block";
    var left = px + 14, top = py + 12;
    if (left + tip.offsetWidth > gd.clientWidth) { left = px - tip.offsetWidth - 14; }
    if (top + tip.offsetHeight > gd.clientHeight) { top = py - tip.offsetHeight - 12; }
    tip.style.left = Math.max(0, left) + "px"; tip.style.top = Math.max(0, top) + "px";
  }

  function hover(gd, id, event) {
    if (!ctl.paths || !gd._fullLayout || event.buttons) { hideTip(gd); return; }
    var rect = gd.getBoundingClientRect(), px = event.clientX - rect.left, py = event.clientY - rect.top;
    if (id === IDS.main) { hoverMain(gd, px, py); } else { hoverChart(gd, id === IDS.loss ? "loss" : "dist", px, py); }
  }

  function hoverMain(gd, px, py) {
    var best = null;
    ctl.runs.forEach(function (run, i) {
      var names = runAxes(i), axes = axisPair(gd, names[0], names[1]);
      if (!axes) { return; }
      var xa = axes[0], ya = axes[1];
      for (var j = 0; j < run.n; j++) {
        var dx = xa._offset + xa.c2p(run.x[j]) - px, dy = ya._offset + ya.c2p(run.y[j]) - py;
        var d = dx * dx + dy * dy;
        if (d < 100 && (!best || d < best.d)) { best = {d: d, run: run, j: j}; }
      }
    });
    if (best) {
      var r = best.run, lossName = ctl.paths.loss_kind === "gap" ? "f − f*" : "f";
      showTip(gd, '<b style="color:' + escapeHtml(r.color) + '">' + escapeHtml(r.label) + "</b><br>step " + best.j +
        "<br>(" + fmt(r.x[best.j]) + ", " + fmt(r.y[best.j]) + ")<br>" + lossName + " = " + fmt(r.loss[best.j]) + runHooks("hover", r, best.j), px, py);
      return;
    }
    var point = pointerToData(gd, px + gd.getBoundingClientRect().left, py + gd.getBoundingClientRect().top);
    if (point) { showTip(gd, "(" + fmt(point.x) + ", " + fmt(point.y) + ")<br><small>click to start here</small>", px, py); }
    else { hideTip(gd); }
  }

  function hoverChart(gd, what, px, py) {
    var axes = axisPair(gd, "x", "y");
    if (!axes) { return; }
    var xa = axes[0], ya = axes[1];
    if (px < xa._offset || px > xa._offset + xa._length || py < ya._offset || py > ya._offset + ya._length) {
      hideTip(gd); return;
    }
    var step = Math.round(xa.p2c(px - xa._offset)), rows = [];
    ctl.runs.forEach(function (run) {
      var values = what === "loss" ? run.loss : run.dist;
      if (!values || step < 0) { return; }
      var j = Math.min(step, run.n - 1);
      rows.push('<span style="color:' + escapeHtml(run.color) + '">●</span> ' + escapeHtml(run.label) + ": " +
                fmt(values[j]) + (j < step ? " (ended)" : ""));
    });
    if (rows.length) { showTip(gd, "step " + step + "<br>" + rows.join("<br>"), px, py); } else { hideTip(gd); }
  }

  // ------------------------------------------------------------- PNG export
  // Plotly's own image would miss the canvas layers: compose contour, paths,
  // legend and both charts into one picture.
  function snapshot(gd) {
    var w = gd.clientWidth, h = gd.clientHeight;
    return window.Plotly.toImage(gd, {format: "png", width: w, height: h, scale: 2}).then(function (url) {
      return new Promise(function (resolve, reject) {
        var img = new Image();
        img.onload = function () { resolve({img: img, overlay: gd._descentCanvas, w: w, h: h}); };
        img.onerror = reject;
        img.src = url;
      });
    });
  }

  function exportPng() {
    return composePng().then(function (blob) {
      if (!blob) { return null; }
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob); a.download = "descent-lab.png";
      document.body.appendChild(a); a.click(); a.remove();
      window.setTimeout(function () { URL.revokeObjectURL(a.href); }, 5000);
      return blob.size;
    });
  }

  function composePng() {
    var graphs = [graphDiv(IDS.main), graphDiv(IDS.loss), graphDiv(IDS.dist)];
    if (!window.Plotly || graphs.some(function (g) { return !g; })) { return Promise.resolve(null); }
    return Promise.all(graphs.map(snapshot)).then(function (shots) {
      var S = 2, main = shots[0], width = main.w, row = 18, pad = 10;
      var legendH = pad * 2 + row * ctl.runs.length;
      var chartW = width / 2, chartH = shots[1].h * (chartW / shots[1].w);
      var canvas = document.createElement("canvas");
      canvas.width = width * S; canvas.height = (legendH + main.h + chartH) * S;
      var ctx = canvas.getContext("2d");
      ctx.scale(S, S);
      ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, width, legendH + main.h + chartH);
      ctx.font = "12px " + FONT; ctx.textBaseline = "middle";
      ctl.runs.forEach(function (run, i) {
        var y = pad + row * i + row / 2;
        marker(ctx, symbolOf(run, i), pad + 6, y, 5, run.color);
        ctx.fillStyle = "#1f2933"; ctx.fillText(run.label + " — " + run.statusText, pad + 18, y);
      });
      var place = function (shot, x, y, w, h) {
        ctx.drawImage(shot.img, x, y, w, h);
        if (shot.overlay) { ctx.drawImage(shot.overlay, x, y, w, h); }
      };
      place(main, 0, legendH, main.w, main.h);
      place(shots[1], 0, legendH + main.h, chartW, chartH);
      place(shots[2], chartW, legendH + main.h, chartW, chartH);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); });
    });
  }
  ctl.exportPng = exportPng;
  ctl.composePng = composePng;

  // Drawing helpers shared with assets/instruments.js (same pixels, same markers).
  ctl.util = {
    decodeF4: decodeF4, fmt: fmt, graphDiv: graphDiv, overlayCanvas: overlayCanvas, staticLayer: staticLayer,
    axisPair: axisPair, clipTo: clipTo, marker: marker, pixels: pixels, polyline: polyline, mapper: mapper,
    visibleCount: visibleCount, runAxes: runAxes, symbolOf: symbolOf, escapeHtml: escapeHtml,
    showTip: showTip, hideTip: hideTip, pointerToData: pointerToData,
  };

  // ------------------------------------------------------------- the player
  function scrubInput() {
    var holder = document.getElementById(IDS.scrub);
    if (!holder) { return null; }
    var input = holder.querySelector("input");
    if (!input) {
      input = document.createElement("input");
      input.type = "range"; input.min = "0"; input.step = "1"; input.value = "0";
      input.setAttribute("aria-label", "Step shown");
      input.className = "scrub-input";
      input.addEventListener("input", function () {
        var wanted = parseInt(input.value, 10);  // read before pause() redraws the player
        pause(false); seek(wanted);
      });
      input.addEventListener("change", function () { syncFrame(); });
      holder.appendChild(input);
    }
    return input;
  }

  function updatePlayer() {
    var input = scrubInput();
    var speed = document.getElementById(IDS.speed);
    if (speed && !speed._descentInit) { speed.value = String(ctl.speed); speed._descentInit = true; }
    if (input) {
      if (input.max !== String(ctl.maxFrame)) { input.max = String(ctl.maxFrame); }
      if (document.activeElement !== input || ctl.playing) { input.value = String(ctl.frame); }
      input.setAttribute("aria-valuetext", "step " + ctl.frame + " of " + ctl.maxFrame);
    }
    var label = document.getElementById(IDS.label);
    if (label) { label.textContent = "step " + ctl.frame + " / " + ctl.maxFrame; }
    var play = document.getElementById(IDS.play);
    if (play) {
      play.textContent = ctl.playing ? "❚❚" : "▶";
      play.setAttribute("aria-label", ctl.playing ? "Pause" : "Play");
      play.setAttribute("aria-pressed", ctl.playing ? "true" : "false");
      play.title = (ctl.playing ? "Pause" : "Play") + " (Space)";
    }
  }

  function seek(frame) {
    var f = Math.max(0, Math.min(ctl.maxFrame, Math.round(frame)));
    ctl.position = f;
    if (f !== ctl.frame) { ctl.frame = f; drawFrame(); } else { updatePlayer(); }
  }

  function syncFrame() {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(IDS.frameSync, {data: ctl.frame});
    }
  }

  function tick(time) {
    if (!ctl.playing) { ctl.lastTime = null; return; }
    if (ctl.lastTime !== null) {
      var dt = Math.min(0.1, (time - ctl.lastTime) / 1000);
      ctl.position = Math.min(ctl.maxFrame, ctl.position + dt * BASE_RATE * ctl.speed);
      var f = Math.floor(ctl.position);
      if (f !== ctl.frame) { ctl.frame = f; drawFrame(); }
      if (ctl.position >= ctl.maxFrame) { pause(true); return; }
    }
    ctl.lastTime = time;
    window.requestAnimationFrame(tick);
  }

  function play() {
    if (ctl.playing) { return; }
    if (ctl.frame >= ctl.maxFrame) { ctl.frame = 0; ctl.position = 0; drawFrame(); }
    ctl.playing = true; ctl.lastTime = null;
    updatePlayer();
    window.requestAnimationFrame(tick);
  }

  function pause(sync) {
    var was = ctl.playing;
    ctl.playing = false;
    updatePlayer();
    if (was && sync) { syncFrame(); }
  }

  ctl.play = play;
  ctl.pause = function () { pause(true); };
  ctl.seek = seek;
  ctl.stepBy = function (d) { pause(false); seek(ctl.frame + d); syncFrame(); };
  ctl.reset = function () { pause(false); seek(0); syncFrame(); };

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button") : null;
    if (!target) { return; }
    if (target.id === IDS.play) { if (ctl.playing) { pause(true); } else { play(); } }
    else if (target.id === IDS.back) { ctl.stepBy(-1); }
    else if (target.id === IDS.fwd) { ctl.stepBy(1); }
    else if (target.id === IDS.reset) { ctl.reset(); }
    else if (target.id === IDS.png) { exportPng(); }
  });

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === IDS.speed) {
      var s = parseFloat(event.target.value);
      if (isFinite(s) && s > 0) { ctl.speed = s; }
    }
  });

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var tag = el && el.tagName ? el.tagName.toLowerCase() : "";
    var typing = tag === "input" || tag === "select" || tag === "textarea" || (el && el.isContentEditable) ||
                 (el && el.getAttribute && el.getAttribute("role") === "slider") ||
                 (tag === "button" && (event.key === " " || event.key === "Enter"));
    if (typing) { return; }
    if (event.key === " ") { event.preventDefault(); if (ctl.playing) { pause(true); } else { play(); } }
    else if (event.key === "ArrowRight") { event.preventDefault(); ctl.stepBy(event.shiftKey ? 10 : 1); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); ctl.stepBy(event.shiftKey ? -10 : -1); }
    else if (event.key === "Home") { event.preventDefault(); ctl.reset(); }
    else if (event.key === "End") { event.preventDefault(); pause(false); seek(ctl.maxFrame); syncFrame(); }
  });

  // ------------------------------------------------ click on the contour = start
  // Plotly reports clicks on a contour at the nearest grid node; we want the
  // pointer, so we convert the pointer position with the axes' own pixel->data maps.
  function pointerToData(gd, clientX, clientY) {
    var full = gd._fullLayout;
    if (!full || !full._plots) { return null; }
    var rect = gd.getBoundingClientRect();
    var px = clientX - rect.left, py = clientY - rect.top;
    var keys = Object.keys(full._plots);
    for (var i = 0; i < keys.length; i++) {
      var plot = full._plots[keys[i]], xa = plot.xaxis, ya = plot.yaxis;
      if (!xa || !ya) { continue; }
      var lx = px - xa._offset, ly = py - ya._offset;
      if (lx >= 0 && lx <= xa._length && ly >= 0 && ly <= ya._length) {
        return {x: xa.p2d(lx), y: ya.p2d(ly), subplot: keys[i]};
      }
    }
    return null;
  }
  ctl.pointerToData = function (clientX, clientY) {
    var gd = graphDiv(IDS.main);
    return gd ? pointerToData(gd, clientX, clientY) : null;
  };

  var down = null;
  document.addEventListener("pointerdown", function (event) {
    var gd = graphDiv(IDS.main);
    down = null;
    if (!gd || !gd.contains(event.target) || event.button !== 0) { return; }
    if (!event.target.classList || !event.target.classList.contains("nsewdrag")) { return; }
    down = {x: event.clientX, y: event.clientY, t: Date.now()};
  }, true);
  document.addEventListener("pointerup", function (event) {
    if (!down) { return; }
    var moved = Math.abs(event.clientX - down.x) + Math.abs(event.clientY - down.y);
    var quick = Date.now() - down.t < 600;
    down = null;
    if (moved > 4 || !quick) { return; }  // a pan or a long press, not a click
    var gd = graphDiv(IDS.main);
    var point = gd && pointerToData(gd, event.clientX, event.clientY);
    if (!point || !isFinite(point.x) || !isFinite(point.y)) { return; }
    ctl.lastClick = point;
    window.dash_clientside.set_props(IDS.click, {data: {x: point.x, y: point.y, t: Date.now()}});
  }, true);

  // ------------------------------------------------------- clientside callbacks
  function noUpdate() { return window.dash_clientside.no_update; }

  function sortKeys(obj) {  // Dash writes dict ids with sorted keys
    if (typeof obj !== "object" || obj === null) { return obj; }
    var out = {};
    Object.keys(obj).sort().forEach(function (k) { out[k] = obj[k]; });
    return out;
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.descent = {
    render: function (surface, paths, viewStore) {
      var nu = noUpdate();
      var trig = (window.dash_clientside.callback_context || {}).triggered || [];
      var fromView = trig.some(function (t) { return t.prop_id.indexOf("view-store") === 0; });
      var autoplay = false;
      if (viewStore && fromView) {
        ctl.view = viewStore.view || "overlay";
        if (viewStore.frame !== null && viewStore.frame !== undefined) {
          ctl.frame = viewStore.frame; ctl.position = viewStore.frame;
        }
        autoplay = !!viewStore.autoplay;
      } else if (viewStore && viewStore.view) {
        ctl.view = viewStore.view;
      }
      if (!surface || !paths) { return [nu, nu, nu]; }
      ctl.renders = (ctl.renders || 0) + 1;
      ctl.lastRenderAt = performance.now();
      var tDecode = performance.now();
      if (paths !== ctl.paths) {
        ctl.runs = decodeRuns(paths); ctl.paths = paths; ctl.pathsVersion = (ctl.pathsVersion || 0) + 1;
      }
      ctl.lastDecodeMs = performance.now() - tDecode;
      if (surface !== ctl.surfaceRaw) {
        ctl.surfaceRaw = surface;
        ctl.surfaceId = (ctl.surfaceId || 0) + 1;
        ctl.surface = clone(surface);
        ctl.surface.contour = decodeContour(surface.contour);
      }
      ctl.maxFrame = ctl.runs.reduce(function (m, r) { return Math.max(m, r.n - 1); }, 0);
      if (autoplay && ctl.maxFrame > 0) { ctl.frame = 0; ctl.position = 0; window.setTimeout(play, 150); }
      if (ctl.frame > ctl.maxFrame) { ctl.frame = ctl.maxFrame; ctl.position = ctl.maxFrame; }
      // Plotly only gets a new figure when its own content changes; otherwise the
      // new runs are simply drawn on the canvases.
      var key = mainKey(), main = key === ctl.mainKey ? nu : mainFigure();
      ctl.mainKey = key;
      var charts = ["loss", "dist"].map(function (what) {
        var fig = chartFigure(what), k = JSON.stringify([fig.layout.yaxis.range, fig.layout.yaxis.type,
                                                          fig.layout.xaxis.range, ctl.surfaceId]);
        if (ctl.chartKeys[what] === k) { return nu; }
        ctl.chartKeys[what] = k;
        return fig;
      });
      drawLegend();
      updatePlayer();
      if (main === nu) { drawFrame(); }  // same axes: the new runs can be drawn right away
      window.setTimeout(hookGraphs, 0);
      return [main, charts[0], charts[1]];
    },

    runStatus: function (paths) {
      var outputs = (window.dash_clientside.callback_context || {}).outputs_list || [];
      return outputs.map(function (o) {
        var run = paths && paths.runs ? paths.runs[o.id.run] : null;
        return run ? run.status_text : "";
      });
    },

    writeUrl: function (url) {
      if (typeof url === "string" && url.charAt(0) === "?") {
        window.history.replaceState(window.history.state, "", url + window.location.hash);
      }
      return noUpdate();
    },

    copyLink: function (n) {
      if (!n) { return noUpdate(); }
      var href = window.location.href;
      try {
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(href);
          return "Link copied";
        }
      } catch (e) { /* fall through */ }
      window.prompt("Copy this link:", href);
      return "";
    },

    formatValue: function (value, className) {
      if (Array.isArray(value)) { return value.indexOf("on") >= 0 ? "on" : "off"; }
      if (typeof value !== "number") { return String(value); }
      var isLog = typeof className === "string" && className.indexOf("log-slider") >= 0;
      var text = fmt(isLog ? Number(Math.pow(10, value).toPrecision(3)) : value);
      // screen readers read the real value, not the slider's log10 position
      var cc = window.dash_clientside.callback_context || {};
      var input = (cc.inputs_list || [])[0];
      if (input && input.id) {
        var domId = typeof input.id === "string" ? input.id : JSON.stringify(sortKeys(input.id)), tries = 0;
        var label = function () {  // the slider may still be loading its code
          var el = document.getElementById(domId);
          var thumb = el && el.querySelector("[role=slider]");
          if (thumb) {
            thumb.setAttribute("aria-valuetext", text);
            var box = el.closest(".control"), name = box && box.querySelector(".control-label");
            if (name) {  // the thumb's accessible name: the knob, and its run
              var run = typeof input.id === "object" && input.id.run !== undefined ? " (run " + (input.id.run + 1) + ")" : "";
              thumb.setAttribute("aria-label", name.textContent + run);
            }
          }
          else if (++tries < 30) { window.setTimeout(label, 100); }
        };
        window.setTimeout(label, 0);
      }
      return text;
    },
  };
})();

/*
 * Descent Lab — the race in the browser (ui/race/ on the server).
 *
 * The server sends the contour once per surface or window (surface-store) and the runs
 * once per change (paths-store). Everything that happens per frame happens here, with no
 * server call:
 *
 *   firstFrame() draws the link's first frame (contour, paths, legend) from the data the
 *                HTML carries, as soon as Plotly's bundle has run, before Dash starts;
 *   render()     clientside callback: plots the main graph itself (adopting the first
 *                frame's plot when it shows the same figure) and gives Plotly a new figure
 *                only when the surface, the panels or a chart's axes change;
 *   drawFrame()  draws every run (whole path faintly, the travelled path, head, start,
 *                end marker) on canvases over the graphs, the charts' curves and the
 *                frame line, the lesson's live number; instruments hook in (ctl.hooks);
 *   dispatch()   every control writes one action into the action store (the event
 *                table comes from ui/race/events.py), skipping values already in use;
 *   preview      while a slider is dragged or stepped, the page asks the preview route
 *                for the moving runs (from the thumb itself, not a Dash callback), at
 *                most two requests in flight, the newest value wins;
 *   the player   play / pause / step / scrub / speed / reset, keys, a lesson's pause;
 *   legend, hover readouts, PNG export, the link in the address bar.
 *
 * window.descentLab exposes the state for tests and benchmarks: frame, playing, runs,
 * play/pause/seek/stepBy/reset, frames and drawMs, renders, previews.
 */
(function () {
  "use strict";

  var ctl = window.descentLab, U = ctl.util;
  var BASE_RATE = 30;  // steps per second at 1x
  var ID = function (name) { return ctl.ids[name]; };

  function noUpdate() { return window.dash_clientside.no_update; }
  // What one frame is: an optimizer step, or a function evaluation when the budget counts
  // them (the paths payload's unit; L-BFGS's steps cost several).
  function unit() { return (ctl.paths && ctl.paths.unit) || "step"; }
  ctl.unit = unit;

  // -------------------------------------------------------------- data
  function takePaths(paths) {  // the payload and its decoded runs
    ctl.paths = paths;
    ctl.runs = (paths.runs || []).map(U.decodeRun);
    ctl.twin = paths.twin ? paths.twin.runs.map(U.decodeRun) : null;
    ctl.maxFrame = ctl.runs.reduce(function (m, r) { return Math.max(m, r.n - 1); }, 0);
  }
  function setPaths(paths, again) {
    if (!paths || (paths === ctl.paths && !again)) { return false; }
    takePaths(paths);
    ctl.pathsVersion += 1;
    ctl.runHooks("runs");
    return true;
  }

  // A preview (or a Patch) replaced some runs: decode those, keep the rest.
  function replaceRuns(rawById, twinById) {
    Object.keys(rawById).forEach(function (k) { ctl.runs[+k] = U.decodeRun(rawById[k]); });
    if (twinById && ctl.twin) { Object.keys(twinById).forEach(function (k) { ctl.twin[+k] = U.decodeRun(twinById[k]); }); }
    ctl.maxFrame = ctl.runs.reduce(function (m, r) { return Math.max(m, r ? r.n - 1 : 0); }, 0);
    ctl.pathsVersion += 1;
    ctl.runHooks("runs");
  }

  function decodeSurface(surface) {
    if (!surface || surface === ctl.surfaceRaw) { return false; }
    ctl.surfaceRaw = surface;
    ctl.surfaceId = (ctl.surfaceId || 0) + 1;
    var decode = function (trace) {
      if (!trace) { return null; }
      var out = Object.assign({}, trace), flat = U.decodeF4(trace.z);
      out.x = U.decodeF4(trace.x); out.y = U.decodeF4(trace.y);
      var shape = String(trace.z.shape || "").split(",").map(Number);
      var rows = shape[0] || out.y.length, cols = shape[1] || out.x.length, z = new Array(rows);
      for (var r = 0; r < rows; r++) { z[r] = flat.subarray(r * cols, (r + 1) * cols); }
      out.z = z; out.flat = flat;
      return out;
    };
    ctl.surface = Object.assign({}, surface, {contour: decode(surface.contour)});
    if (surface.twin) { ctl.surface.twin = {contour: decode(surface.twin.contour), minima: surface.twin.minima}; }
    return true;
  }

  // -------------------------------------------------------------- figures
  function panels() { return (ctl.paths && ctl.paths.panels) || [{runs: [], twin: false, title: ""}]; }

  // Plotly's automatic contour levels (its autoContours: a "nice" step of 1, 2 or 5 x 10^k
  // at least (zmax - zmin) / ncontours, the levels strictly inside the data's range).
  function contourLevels(trace) {
    var c = trace.contours || {}, lo = Infinity, hi = -Infinity, flat = trace.flat;
    if (typeof c.start === "number" && typeof c.end === "number" && typeof c.size === "number" && c.size > 0) {
      return {start: c.start, end: c.end, size: c.size};
    }
    for (var i = 0; i < flat.length; i++) { if (flat[i] < lo) { lo = flat[i]; } if (flat[i] > hi) { hi = flat[i]; } }
    if (!(hi > lo)) { return null; }
    var rough = (hi - lo) / (trace.ncontours || 15), base = Math.pow(10, Math.floor(Math.log10(rough)));
    var size = base * [2, 5, 10].filter(function (m) { return m >= rough / base - 1e-9; })[0];
    var start = Math.ceil(lo / size - 1e-9) * size, end = Math.floor(hi / size + 1e-9) * size;
    if (Math.abs(start - lo) < size * 1e-9) { start += size; }
    if (Math.abs(end - hi) < size * 1e-9) { end -= size; }
    if (start > end) { start = end = (start + end) / 2; }
    return {start: start, end: end, size: size};
  }

  // The contour's filled bands as a heatmap (each band at its mid value, coloured over the
  // range Plotly's contour uses): one small image per panel. Side by side, eight contour
  // traces made Plotly trace every level eight times (most of a view switch's cost).
  function bandTrace(contour) {
    if (contour._bands) { return contour._bands; }
    var L = contourLevels(contour), colorscale = (ctl.paths.layout.coloraxis || {}).colorscale;
    if (!L || !colorscale) { return null; }
    var nx = contour.x.length, ny = contour.y.length, flat = contour.flat, z = new Array(ny);
    var top = L.end + L.size / 2, bottom = L.start - L.size / 2;
    for (var r = 0; r < ny; r++) {
      var row = new Float32Array(nx);
      for (var q = 0; q < nx; q++) {
        var v = flat[r * nx + q];
        row[q] = !isFinite(v) ? NaN : v < L.start ? bottom : v >= L.end ? top :
          L.start + (Math.floor((v - L.start) / L.size) + 0.5) * L.size;
      }
      z[r] = row;
    }
    contour._bands = {type: "heatmap", x: contour.x, y: contour.y, z: z, zmin: bottom, zmax: top, zauto: false,
                      colorscale: colorscale, showscale: false, zsmooth: false, hoverinfo: "skip", name: "surface"};
    return contour._bands;
  }

  function mainFigure() {
    var s = ctl.surface, data = [], many = panels().length > 2;
    panels().forEach(function (panel, i) {
      var ax = U.axisNames(i), source = panel.twin && s.twin ? s.twin : s;
      var bands = many ? bandTrace(source.contour) : null;
      var contour = Object.assign({}, bands || source.contour, {xaxis: ax[0], yaxis: ax[1]});
      delete contour.flat; delete contour._bands;
      data.push(contour);
      if (source.minima) { data.push(Object.assign({}, source.minima, {xaxis: ax[0], yaxis: ax[1]})); }
    });
    // a copy to the axes: Plotly writes into the layout it is given (each axis' type and
    // domain), and the payload's layout must stay as sent (mainKey, the first frame's key)
    var layout = JSON.parse(JSON.stringify(ctl.paths.layout));
    if (phone() && layout.coloraxis) {  // the plot takes the phone's whole width, without the colour bar
      layout.coloraxis = Object.assign({}, layout.coloraxis, {showscale: false});
    }
    layout.uirevision = [s.key, JSON.stringify(s.params), JSON.stringify(s.box), panels().length].join("|");
    return {data: data, layout: layout};
  }

  // Plotly's react can meet an axis' scaleanchor by widening the other axis' range instead
  // of shrinking its domain (constrain: "domain"), e.g. from the valley's window to
  // Rosenbrock's: blank bands beside the contour. A new figure's ranges are therefore
  // remembered and, once it is drawn, put back if Plotly moved them.
  function expectRanges(layout) {
    var wanted = {uirevision: layout.uirevision, ranges: {}};
    Object.keys(layout).forEach(function (k) {
      if (/^[xy]axis\d*$/.test(k) && layout[k] && Array.isArray(layout[k].range)) { wanted.ranges[k] = layout[k].range.slice(); }
    });
    ctl.expectedRanges = wanted;
  }
  function keepRanges(gd) {
    var wanted = ctl.expectedRanges, full = gd._fullLayout;
    if (!wanted || !full || full.uirevision !== wanted.uirevision) { return; }
    ctl.expectedRanges = null;  // once: later zooms and pans are the person's
    var fix = {}, moved = false;
    Object.keys(wanted.ranges).forEach(function (k) {
      var have = full[k] && full[k].range, w = wanted.ranges[k], tol = 1e-9 * (Math.abs(w[1] - w[0]) || 1);
      if (have && (Math.abs(have[0] - w[0]) > tol || Math.abs(have[1] - w[1]) > tol)) { fix[k + ".range"] = w.slice(); moved = true; }
    });
    if (moved) { ctl.rangeFixes = (ctl.rangeFixes || 0) + 1; window.Plotly.relayout(gd, fix); }
  }

  function mainKey() {
    return [ctl.surfaceId, JSON.stringify(ctl.paths.layout)].join("|");
  }

  function lossSeries(run) { return [[run.loss, []]]; }
  function distSeries(run) { return run.dist ? [[run.dist, []]] : []; }

  // Keep a chart's value axis while the data still fills most of it: a slider then
  // redraws only the canvas, not the chart (a Plotly redraw costs tens of ms).
  var ranges = {};
  function stableRange(name, range, log) {
    var old = ranges[name];
    if (range && old && old.log === log && old.range && range[0] >= old.range[0] && range[1] <= old.range[1] &&
        (range[1] - range[0]) >= 0.6 * (old.range[1] - old.range[0]) && old.maxFrame === ctl.maxFrame) {
      return old.range;
    }
    ranges[name] = {range: range, log: log, maxFrame: ctl.maxFrame};
    return range;
  }

  var chartLayouts = null;
  function chartFigure(name, title, series, log, note) {
    if (!chartLayouts) { return null; }
    var layout = Object.assign({}, chartLayouts.step);
    var head = Object.assign({}, chartLayouts.title, {text: title + " · by " + unit()});
    layout.annotations = [head];
    var range = stableRange(name, U.seriesRange(series, log, true), log);
    if (note) {
      layout.annotations.push({text: note, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5,
                               font: {color: ctl.theme.muted}});
    }
    return U.stepChartFigure(layout, range, log);
  }

  // ------------------------------------------------------ per-frame drawing
  function startMarker(ctx, xa, ya, twin) {
    var start = twin && ctl.paths.twin && ctl.paths.twin.start ? ctl.paths.twin.start : ctl.paths.start;
    ctx.beginPath(); ctx.arc(xa._offset + xa.c2p(start[0]), ya._offset + ya.c2p(start[1]), 7, 0, 2 * Math.PI);
    ctx.lineWidth = 2; ctx.strokeStyle = ctl.theme.ink; ctx.stroke();
  }

  // The runs drawn in each panel: [{run, axes}] (the twin panel draws the compared runs).
  function panelRuns(gd) {
    var out = [];
    panels().forEach(function (panel, p) {
      var names = U.axisNames(p), axes = U.axisPair(gd, names[0], names[1]);
      if (!axes) { return; }
      var source = panel.twin ? (ctl.twin || []) : ctl.runs;
      panel.runs.forEach(function (i) { if (source[i]) { out.push({run: source[i], index: i, axes: axes, panel: p}); } });
    });
    return out;
  }
  ctl.panelRuns = panelRuns;

  // The panels' titles and start markers, under every path.
  function drawPanelMarks(gd, ctx) {
    panels().forEach(function (panel, p) {
      var names = U.axisNames(p), axes = U.axisPair(gd, names[0], names[1]);
      if (!axes) { return; }
      var xa = axes[0], ya = axes[1], title = panel.title;
      if (!title && panels().length > 1 && panel.runs.length === 1 && ctl.runs[panel.runs[0]]) {
        title = ctl.runs[panel.runs[0]].label;
      }
      if (title) {
        var only = panel.runs.length === 1 ? ctl.runs[panel.runs[0]] : null;
        ctx.font = "600 11px " + ctl.theme.font; ctx.fillStyle = only ? only.color : ctl.theme.ink;
        ctx.textAlign = "center";
        ctx.fillText(title, xa._offset + xa._length / 2, ya._offset - 6, xa._length);
      }
      ctx.save(); U.clipTo(ctx, xa, ya); startMarker(ctx, xa, ya, panel.twin); ctx.restore();
    });
  }

  // Each run's whole path, faint: where the run is going. Returns its pixels.
  function drawWhole(ctx, item) {
    var run = item.run, xa = item.axes[0], ya = item.axes[1], p = U.pixels(xa, ya, run.x, run.y, run.n);
    ctx.save(); U.clipTo(ctx, xa, ya);
    U.polyline(ctx, p, run.n);
    ctx.globalAlpha = ctl.theme.ghostAlpha; ctx.lineWidth = 1.6; ctx.strokeStyle = run.color; ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.restore();
    return {p: p, item: item};
  }

  // The part travelled so far, bold, and the run's marker where it is now.
  function drawTravelled(ctx, entry) {
    var p = entry.p, run = entry.item.run, k = U.visibleCount(run.n, ctl.frame);
    ctx.save(); U.clipTo(ctx, p.xa, p.ya);
    U.polyline(ctx, p, k);
    ctx.lineWidth = 2.2; ctx.strokeStyle = run.color; ctx.stroke();
    if (k <= 400) {  // dots at each iterate show the step sizes
      ctx.fillStyle = run.color;
      for (var d = 0; d < k; d++) { ctx.fillRect(p.X[d] - 1.5, p.Y[d] - 1.5, 3, 3); }
    }
    var hx = p.X[k - 1], hy = p.Y[k - 1];
    if (run.status === "diverged" && k === run.n) { U.cross(ctx, hx, hy, 7, run.color); }
    else { U.marker(ctx, run.symbol, hx, hy, 6, run.color); }
    ctx.restore();
  }

  function roundJoins(ctx) { ctx.lineJoin = "round"; ctx.lineCap = "round"; }

  function buildMainLayer(gd) {
    return function (ctx, layer) {
      roundJoins(ctx);
      drawPanelMarks(gd, ctx);
      panelRuns(gd).forEach(function (item) { layer.pix.push(drawWhole(ctx, item)); });
    };
  }

  function drawMain(gd) {
    var ctx = U.overlayCanvas(gd);
    var layer = U.paintLayer(ctx, gd, "main", buildMainLayer(gd), ctl.view);
    ctl.runHooks("mainUnder", gd, ctx);
    roundJoins(ctx);
    layer.pix.forEach(function (entry) { drawTravelled(ctx, entry); });
    ctl.runHooks("mainOver", gd, ctx);
  }

  function drawFrame() {
    if (!ctl.paths) { return; }
    var t0 = performance.now();
    var gd = U.graphDiv(ID("MAIN_GRAPH"));
    if (gd && gd._fullLayout && ctl.draw.main) { drawMain(gd); }
    if (ctl.draw.charts && !ctl.inHand) {  // the charts settle at release
      var gl = U.graphDiv(ID("LOSS_GRAPH")), gdd = U.graphDiv(ID("DIST_GRAPH"));
      if (gl && gl._fullLayout) { U.drawStepChart(gl, "loss", lossSeries, true); }
      if (gdd && gdd._fullLayout) { U.drawStepChart(gdd, "dist", distSeries, true); }
    }
    ctl.runHooks("frame");
    lessonLive();
    ctl.frames += 1;
    ctl.lastDrawAt = performance.now();
    ctl.lastDrawMs = ctl.lastDrawAt - t0;
    ctl.drawMs += ctl.lastDrawMs;
    updatePlayer();
  }
  ctl.drawFrame = drawFrame;

  // ------------------------------------------------------------ legend, live
  function drawLegend() {
    var box = document.getElementById(ID("LEGEND"));
    if (box) { box.innerHTML = legendHtml(); }
  }
  function legendHtml() {
    return ctl.runs.map(function (run) {
      return '<span class="legend-item" style="--run-color:' + U.escapeHtml(run.color) + '" title="' +
        U.escapeHtml(run.label + " · " + run.status_text) + '">' +
        '<span class="legend-glyph" aria-hidden="true">' + (ctl.theme.glyphs[run.symbol] || "●") + "</span>" +
        '<span class="legend-label">' + U.escapeHtml(run.label) + '</span><span class="legend-status">' +
        U.escapeHtml(run.status_text) + "</span></span>";
    }).join("");
  }

  // The lesson's number as the lesson prints it (ui/race/teach.py's FORMATS; the lesson's
  // own text prints its numbers with Python's formats, so these write the same digits:
  // "3.2e-07" for {:.1e}, "0.0021", "170" and "1.23e+03" for {:.3g}).
  function twoDigitExponent(text) { return text.replace(/e([+-])(\d)$/, "e$10$2"); }
  function threeSignificant(v) {  // Python's "{:.3g}"
    if (v === 0) { return "0"; }
    var parts = v.toExponential(2).split("e"), e = Number(parts[1]);
    if (e < -4 || e >= 3) { return twoDigitExponent(parts[0].replace(/\.?0+$/, "") + "e" + (e < 0 ? "-" : "+") + Math.abs(e)); }
    return v.toFixed(2 - e).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  }
  function liveText(v, spec) {
    if (!isFinite(v)) { return spec.kind === "int" ? "never" : "—"; }
    if (spec.kind === "sci") { return v === 0 ? "0" : twoDigitExponent(v.toExponential(1)); }
    if (spec.kind === "fixed") { return v.toFixed(spec.decimals) + (spec.unit || ""); }
    if (spec.kind === "pct") { return (100 * v).toFixed(1) + "%"; }
    if (spec.kind === "int") { return v.toFixed(0); }
    return threeSignificant(v);
  }
  ctl.liveText = liveText;

  var liveAt = 0;
  function lessonLive() {
    var box = document.getElementById(ID("LESSON_LIVE")), spec = ctl.paths && ctl.paths.lesson_live;
    if (!box) { return; }
    if (!spec) { box.textContent = ""; return; }
    var now = performance.now();
    if (ctl.playing && now - liveAt < 120) { return; }
    liveAt = now;
    box.innerHTML = lessonLiveHtml(spec);
  }
  function lessonLiveHtml(spec) {
    var parts = ctl.runs.map(function (run) {
      if (!run.live) { return null; }
      var v = run.live.values, j = Math.min(ctl.frame, v.length - 1);
      var text = j < 0 ? "—" : liveText(v[j], spec);
      return '<span class="lesson-number" style="--run-color:' + U.escapeHtml(run.color) + '">' +
        U.escapeHtml(run.name) + " <b>" + U.escapeHtml(text) + "</b></span>";
    }).filter(Boolean);
    return parts.length ? '<span class="lesson-live-label">' + U.escapeHtml(spec.label) + " at " + unit() + " " +
      ctl.frame + ":</span> " + parts.join(" ") : "";
  }

  // ------------------------------------------------------------------ hover
  function hover(gd, which, event) {
    if (!ctl.paths || !gd._fullLayout || event.buttons) { U.hideTip(gd); return; }
    var rect = gd.getBoundingClientRect(), px = event.clientX - rect.left, py = event.clientY - rect.top;
    if (which === "main") { hoverMain(gd, px, py, event); }
    else { hoverChart(gd, which === "loss" ? lossSeries : distSeries, px, py); }
  }

  function hoverMain(gd, px, py, event) {
    var best = null;
    panelRuns(gd).forEach(function (item) {
      var xa = item.axes[0], ya = item.axes[1], run = item.run, fx = U.mapper(xa), fy = U.mapper(ya);
      for (var j = 0; j < run.n; j++) {
        var dx = fx(run.x[j]) - px, dy = fy(run.y[j]) - py, d = dx * dx + dy * dy;
        if (d < 100 && (!best || d < best.d)) { best = {d: d, item: item, j: j}; }
      }
    });
    if (best) {
      var r = best.item.run, lossName = ctl.paths.loss_kind === "gap" ? "f − f*" : "f";
      showTipHtml(gd, '<b style="color:' + U.escapeHtml(r.color) + '">' + U.escapeHtml(r.label) + "</b><br>" + unit() + " " +
        best.j + "<br>(" + U.fmt(r.x[best.j]) + ", " + U.fmt(r.y[best.j]) + ")<br>" + lossName + " = " +
        U.fmt(r.loss[best.j]) + (best.item.panel === 0 || !panels()[best.item.panel].twin ? ctl.runHooks("hover", r, best.j) : ""),
        px, py);
      return;
    }
    var point = U.pointerToData(gd, event.clientX, event.clientY);
    if (point) { showTipHtml(gd, "(" + U.fmt(point.x) + ", " + U.fmt(point.y) + ")<br><small>click to start here</small>", px, py); }
    else { U.hideTip(gd); }
  }
  function showTipHtml(gd, html, px, py) { U.showTip(gd, html, px, py); }

  function hoverChart(gd, series, px, py) {
    var axes = U.axisPair(gd, "x", "y");
    if (!axes) { return; }
    var xa = axes[0], ya = axes[1];
    if (px < xa._offset || px > xa._offset + xa._length || py < ya._offset || py > ya._offset + ya._length) {
      U.hideTip(gd); return;
    }
    var step = Math.round(xa.p2c(px - xa._offset)), rows = [];
    ctl.runs.forEach(function (run) {
      var s = series(run);
      if (!s.length || step < 0) { return; }
      var values = s[0][0], j = Math.min(step, values.length - 1);
      rows.push('<span style="color:' + U.escapeHtml(run.color) + '">●</span> ' + U.escapeHtml(run.label) + ": " +
                U.fmt(values[j]) + (j < step ? " (ended)" : ""));
    });
    if (rows.length) { U.showTip(gd, unit() + " " + step + "<br>" + rows.join("<br>"), px, py); } else { U.hideTip(gd); }
  }

  function hookGraphs(attempt) {
    var pending = false;
    [["MAIN_GRAPH", "main"], ["LOSS_GRAPH", "loss"], ["DIST_GRAPH", "dist"]].forEach(function (pair) {
      var gd = U.graphDiv(ID(pair[0]));
      if (!gd || !gd.on) { pending = true; return; }
      if (gd._descentHooked) { return; }
      gd._descentHooked = true;
      gd.on("plotly_afterplot", function () {
        ctl.lastPlotAt = performance.now();
        if (pair[0] === "MAIN_GRAPH") { keepRanges(gd); }
        drawFrame();
      });
      gd.on("plotly_relayouting", function () { window.requestAnimationFrame(drawFrame); });
      gd.addEventListener("pointermove", function (event) { hover(gd, pair[1], event); });
      gd.addEventListener("pointerleave", function () { U.hideTip(gd); });
    });
    if (pending && (attempt || 0) < 100) { window.setTimeout(function () { hookGraphs((attempt || 0) + 1); }, 50); }
    else { drawFrame(); }
  }

  // --------------------------------------------------------------- PNG
  // Plotly's own image would miss the canvas layers: compose the lesson's text, the
  // legend, the contour with its paths and every visible chart into one picture.
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

  function wrap(ctx, text, width) {
    var words = String(text).split(/\s+/), lines = [], line = "";
    words.forEach(function (w) {
      var trial = line ? line + " " + w : w;
      if (ctx.measureText(trial).width > width && line) { lines.push(line); line = w; } else { line = trial; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  function composePng() {
    var main = U.graphDiv(ID("MAIN_GRAPH"));
    if (!window.Plotly || !main) { return Promise.resolve(null); }
    var charts = Array.prototype.slice.call(document.querySelectorAll(".chart-col .chart-box")).filter(function (box) {
      return box.offsetParent !== null;
    }).map(function (box) { return box.querySelector(".js-plotly-plot"); }).filter(Boolean);
    return Promise.all([main].concat(charts).map(snapshot)).then(function (shots) {
      var S = 2, m = shots[0], chartW = 420, pad = 12, row = 18, width = m.w + chartW + pad;
      var lesson = document.querySelector("#" + ID("LESSON") + " .lesson-card");
      var measure = document.createElement("canvas").getContext("2d");
      measure.font = "13px " + ctl.theme.font;
      // the lesson's words, also those a phone keeps folded (textContent, not innerText)
      var words = lesson ? Array.prototype.map.call(
        lesson.querySelectorAll(".lesson-title, .lesson-question, .lesson-answer, .lesson-look, .lesson-live, .lesson-stale"),
        function (el) { return el.textContent.replace(/\s+/g, " ").trim(); }).filter(Boolean).join(" ") : "";
      var text = words ? wrap(measure, words, width - 2 * pad) : [];
      var headH = pad + text.length * row + pad + row * ctl.runs.length + pad;
      var chartsH = shots.slice(1).reduce(function (h, s) { return h + s.h * (chartW / s.w); }, 0);
      var height = headH + Math.max(m.h, chartsH);
      var canvas = document.createElement("canvas");
      canvas.width = width * S; canvas.height = height * S;
      var ctx = canvas.getContext("2d");
      ctx.scale(S, S);
      ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, width, height);
      ctx.font = "13px " + ctl.theme.font; ctx.textBaseline = "middle"; ctx.fillStyle = ctl.theme.ink;
      text.forEach(function (line, i) { ctx.fillText(line, pad, pad + row * i + row / 2); });
      var y0 = pad + text.length * row + pad;
      ctl.runs.forEach(function (run, i) {
        var y = y0 + row * i + row / 2;
        U.marker(ctx, run.symbol, pad + 6, y, 5, run.color);
        ctx.fillStyle = ctl.theme.ink; ctx.fillText(run.label + " — " + run.status_text, pad + 18, y);
      });
      var place = function (shot, x, y, w, h) {
        ctx.drawImage(shot.img, x, y, w, h);
        if (shot.overlay) { ctx.drawImage(shot.overlay, x, y, w, h); }
      };
      place(m, 0, headH, m.w, m.h);
      var cy = headH;
      shots.slice(1).forEach(function (shot) {
        var h = shot.h * (chartW / shot.w);
        place(shot, m.w + pad, cy, chartW, h);
        cy += h;
      });
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); });
    });
  }

  // The CSV is streamed by the server from the page's link (GET download.csv?<link>), so
  // a large race never sits whole in a worker's memory; a refusal is said beside the button.
  function exportCsv() {
    var say = function (text, failed) {
      U.setProps(ID("SHARE_MSG"), {children: text, className: failed ? "share-msg failed" : "share-msg"});
    };
    if (!ctl.config || !ctl.config.download) { return; }
    say("Preparing the CSV…", false);
    window.fetch(ctl.config.download + window.location.search, {credentials: "same-origin"}).then(function (reply) {
      if (!reply.ok) {
        return reply.json().catch(function () { return {}; }).then(function (body) {
          say("CSV not made: " + (body.error || "the server answered " + reply.status) , true);
        });
      }
      var match = /filename="([^"]+)"/.exec(reply.headers.get("Content-Disposition") || "");
      return reply.blob().then(function (blob) {
        var a = document.createElement("a"), url = URL.createObjectURL(blob);
        a.href = url; a.download = match ? match[1] : "descent-lab.csv";
        document.body.appendChild(a); a.click(); a.remove();
        window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
        say("", false);
      });
    }).catch(function () { say("CSV not made: the server could not be reached.", true); });
  }

  function exportPng() {
    return composePng().then(function (blob) {
      if (!blob) { return null; }
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = ((ctl.state && ctl.state.surface) ? "descent-lab-" + ctl.state.surface.key + "-" +
        ctl.state.runs.slice(0, 4).map(function (r) { return r.optimizer; }).join("-") : "descent-lab") + ".png";
      document.body.appendChild(a); a.click(); a.remove();
      window.setTimeout(function () { URL.revokeObjectURL(a.href); }, 5000);
      return blob.size;
    });
  }
  ctl.exportPng = exportPng;
  ctl.composePng = composePng;

  // ------------------------------------------------------------- the player
  function scrubInput() {
    var holder = document.getElementById(ID("SCRUB"));
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

  // Runs with every drawn frame: writes only what changed (U.setText, U.setAttr).
  function updatePlayer() {
    var input = scrubInput(), speed = document.getElementById(ID("SPEED"));
    if (speed && !speed._descentInit) { speed.value = String(ctl.speed); speed._descentInit = true; }
    if (input) {
      if (input.max !== String(ctl.maxFrame)) { input.max = String(ctl.maxFrame); }
      if ((document.activeElement !== input || ctl.playing) && input.value !== String(ctl.frame)) { input.value = String(ctl.frame); }
      U.setAttr(input, "aria-valuetext", unit() + " " + ctl.frame + " of " + ctl.maxFrame);
    }
    var label = document.getElementById(ID("FRAME_LABEL"));
    if (label) { U.setText(label, unit() + " " + ctl.frame + " / " + ctl.maxFrame); }
    var play = document.getElementById(ID("PLAY"));
    if (play) {
      U.setText(play, ctl.playing ? "❚❚" : "▶");
      U.setAttr(play, "aria-label", ctl.playing ? "Pause" : "Play");
      U.setAttr(play, "aria-pressed", ctl.playing ? "true" : "false");
      U.setAttr(play, "title", (ctl.playing ? "Pause" : "Play") + " (Space)");
    }
  }

  function seek(frame) {
    var f = Math.max(0, Math.min(ctl.maxFrame, Math.round(frame)));
    ctl.position = f;
    if (f !== ctl.frame) { ctl.frame = f; drawFrame(); } else { updatePlayer(); }
  }

  function syncFrame() { U.setProps(ID("FRAME_SYNC"), {data: ctl.frame}); }

  function tick(time) {
    if (!ctl.playing) { ctl.lastTime = null; return; }
    if (ctl.lastTime !== null) {
      var dt = Math.min(0.1, (time - ctl.lastTime) / 1000), end = ctl.maxFrame;
      if (ctl.stopAt !== null && ctl.stopAt !== undefined && ctl.stopAt > ctl.frame) { end = Math.min(end, ctl.stopAt); }
      ctl.position = Math.min(end, ctl.position + dt * BASE_RATE * ctl.speed);
      var f = Math.floor(ctl.position);
      if (f !== ctl.frame) { ctl.frame = f; drawFrame(); }
      if (ctl.position >= end) { ctl.stopAt = null; pause(true); return; }
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
    lessonLive();
    if (was) { drawFrame(); }  // what waits for a pause (a slow 3D view, the readout's hint) catches up
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
    var id = target.id;
    if (id === ID("PLAY")) { ctl.stopAt = null; if (ctl.playing) { pause(true); } else { play(); } }
    else if (id === ID("STEP_BACK")) { ctl.stepBy(-1); }
    else if (id === ID("STEP_FWD")) { ctl.stepBy(1); }
    else if (id === ID("RESET")) { ctl.reset(); }
    else if (id === ID("PNG")) { exportPng(); }
    else if (id === ID("CSV")) { exportCsv(); }
    else if (id === ID("SIDEBAR_TOGGLE")) { toggleSidebar(); }
    else if (id === ID("HOW_TO_READ") + "-close") { dismissHowTo(); }
    else if (target.classList.contains("lesson-more")) { foldLesson(target); }
  });

  // On a phone the lesson opens folded to its title, question and number, so the plot is
  // on the first screen; its button unfolds the text.
  function foldLesson(button) {
    var card = button.closest(".lesson-card");
    if (!card) { return; }
    var open = !card.classList.contains("unfolded");
    card.classList.toggle("unfolded", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "Fold the lesson" : "Read the lesson";
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === ID("SPEED")) {
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
    if (event.key === " ") { event.preventDefault(); ctl.stopAt = null; if (ctl.playing) { pause(true); } else { play(); } }
    else if (event.key === "ArrowRight") { event.preventDefault(); ctl.stepBy(event.shiftKey ? 10 : 1); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); ctl.stepBy(event.shiftKey ? -10 : -1); }
    else if (event.key === "Home") { event.preventDefault(); ctl.reset(); }
    else if (event.key === "End") { event.preventDefault(); pause(false); seek(ctl.maxFrame); syncFrame(); }
  });

  // ------------------------------------------------ click on the contour = start
  ctl.pointerToData = function (clientX, clientY) {
    var gd = U.graphDiv(ID("MAIN_GRAPH"));
    return gd ? U.pointerToData(gd, clientX, clientY) : null;
  };
  var down = null;
  document.addEventListener("pointerdown", function (event) {
    var gd = U.graphDiv(ID("MAIN_GRAPH"));
    down = null;
    if (!gd || !gd.contains(event.target) || event.button !== 0) { return; }
    if (!event.target.classList || !event.target.classList.contains("nsewdrag")) { return; }
    down = {x: event.clientX, y: event.clientY, t: Date.now()};
  }, true);
  document.addEventListener("pointerup", function (event) {
    if (!down) { return; }
    var moved = Math.abs(event.clientX - down.x) + Math.abs(event.clientY - down.y), quick = Date.now() - down.t < 600;
    down = null;
    if (moved > 4 || !quick) { return; }  // a pan or a long press, not a click
    var point = ctl.pointerToData(event.clientX, event.clientY);
    if (!point || !isFinite(point.x) || !isFinite(point.y)) { return; }
    ctl.lastClick = point;
    U.setProps(ID("CLICK"), {data: {x: point.x, y: point.y, t: Date.now()}});
  }, true);

  // -------------------------------------------------------------- page frame
  function phone() { return window.matchMedia && window.matchMedia("(max-width: 700px)").matches; }
  function narrow() { return window.matchMedia && window.matchMedia("(max-width: 1199px)").matches; }
  function toggleSidebar(force) {
    var app = document.querySelector(".app");
    if (!app) { return; }
    var open = force === undefined ? !app.classList.contains("sidebar-open") : !!force;
    app.classList.toggle("sidebar-open", open);
    app.classList.toggle("sidebar-closed", !open);
    var button = document.getElementById(ID("SIDEBAR_TOGGLE"));
    if (button) { button.setAttribute("aria-expanded", open ? "true" : "false"); }
    if (open && phone()) { plotUnderTopbar(); }  // the sheet covers the bottom: keep the plot above it
    window.setTimeout(function () { window.dispatchEvent(new Event("resize")); }, 220);
  }
  ctl.toggleSidebar = toggleSidebar;

  function plotUnderTopbar() {
    var graph = document.getElementById(ID("MAIN_GRAPH")), bar = document.querySelector(".topbar");
    if (!graph) { return; }
    var top = graph.getBoundingClientRect().top + window.scrollY - (bar ? bar.offsetHeight : 0) - 6;
    window.scrollTo({top: Math.max(0, top), behavior: "auto"});
  }

  function dismissHowTo() {
    var box = document.getElementById(ID("HOW_TO_READ"));
    if (box) { box.hidden = true; }
    try { window.localStorage.setItem("descent-lab-read", "1"); } catch (e) { /* private mode */ }
  }

  // The first screen's grid takes the viewport's height less the lesson banner's.
  function measureBanner(parts, root) {
    var h = parts.reduce(function (sum, el) { return sum + (el && el.offsetHeight ? el.offsetHeight + 10 : 0); }, 0);
    (root || document.documentElement).style.setProperty("--banner-h", h + "px");
  }
  function watchBanner() {
    var parts = [document.getElementById(ID("LESSON")), document.getElementById(ID("HOW_TO_READ"))].filter(Boolean);
    var measure = function () { measureBanner(parts); };
    if (window.ResizeObserver) { var ro = new ResizeObserver(measure); parts.forEach(function (el) { ro.observe(el); }); }
    measure();
  }
  // The reading notes are shown until their "Got it" is pressed once in this browser.
  function firstVisit() {
    try { return window.localStorage.getItem("descent-lab-read") !== "1"; } catch (e) { return true; }
  }

  var framed = false;
  function frameOnce() {
    if (framed) { return; }
    framed = true;
    watchBanner();
    toggleSidebar(!narrow());
    var box = document.getElementById(ID("HOW_TO_READ"));
    if (box && firstVisit()) { box.hidden = false; }
  }

  // ------------------------------------------------------------ first frame
  // The HTML carries its link's first frame (ui/page.py: first_frame) and the stage's boxes
  // (first_paint): the contour, the paths and the legend are drawn there as soon as
  // Plotly's bundle has run, while Dash's scripts still load and start, so the picture
  // comes with the page instead of after Dash's first reply. The live page adopts the plot
  // when its first figure is the same (plotMain) and removes the rest of the first paint
  // with its first frame (markReady, 00_core.js). The page's own state is left as it was:
  // the data is set for the drawing only.
  var firstPlot = null;  // {gd, key}: the HTML's first frame, until the live page adopts it (plotMain)
  var FIRST_FIELDS = ["paths", "runs", "twin", "surface", "surfaceRaw", "surfaceId", "frame", "maxFrame", "theme"];
  function withFirst(first, draw) {
    var kept = {};
    FIRST_FIELDS.forEach(function (k) { kept[k] = ctl[k]; });
    try {
      ctl.theme = first.theme || ctl.theme;
      takePaths(first.paths);
      ctl.frame = Math.min(first.frame || 0, ctl.maxFrame);
      decodeSurface(first.surface);
      return draw();
    } finally {
      FIRST_FIELDS.forEach(function (k) { ctl[k] = kept[k]; });
    }
  }
  function firstFrame() {
    var source = document.getElementById("first-frame"), box = document.querySelector(".page-shell .main-graph");
    if (!source || !box || !window.Plotly || ctl.paths) { return; }
    var first;
    try { first = JSON.parse(source.textContent); } catch (e) { return; }
    source.parentNode.removeChild(source);
    var how = document.querySelector(".page-shell .how-to-read");
    if (how && firstVisit()) { how.hidden = false; }
    var fig = withFirst(first, function () {
      var legend = document.querySelector(".page-shell .legend"), live = document.querySelector(".page-shell .lesson-live");
      if (legend) { legend.innerHTML = legendHtml(); }
      if (live && ctl.paths.lesson_live) { live.innerHTML = lessonLiveHtml(ctl.paths.lesson_live); }
      return mainFigure();
    });
    // the first paint's own (the live page's banner, measured meanwhile, is not this one)
    measureBanner([document.querySelector(".page-shell .lesson"), how], document.querySelector(".page-shell"));
    var gd = document.createElement("div");
    gd.className = "first-plot";
    box.appendChild(gd);
    window.Plotly.newPlot(gd, fig.data, fig.layout, first.config).then(function () {
      if (ctl.paths) { return; }  // the live page came first
      withFirst(first, function () { drawMain(gd); });
      var shell = document.querySelector(".page-shell");
      if (shell) { shell.classList.add("drawn"); }
      var r = box.getBoundingClientRect();
      ctl.firstFrame = {at: performance.now(), box: [r.left, r.top, r.width, r.height], adopted: false};
      firstPlot = {gd: gd, key: figureKey(first.surface, first.paths)};
    });
  }
  // Plotly's bundle is a classic script: its "load" fires right after it has run, before
  // the scripts after it (Dash's). Load events do not bubble: caught on the way down.
  document.addEventListener("load", function (event) {
    var el = event.target;
    if (el && el.tagName === "SCRIPT" && /\/plotly-contour\.min\.js/.test(el.src || "")) {
      try { firstFrame(); } catch (e) { if (window.console) { window.console.error(e); } }
    }
  }, true);

  function reveal() {
    var stage = document.getElementById(ID("STAGE"));
    if (stage && stage.scrollIntoView) { stage.scrollIntoView({behavior: "smooth", block: "start"}); }
    if (window.scrollY > 0 && stage && stage.getBoundingClientRect().top < 0) { window.scrollTo({top: 0, behavior: "smooth"}); }
  }

  // --------------------------------------------------- controls the page owns
  // Sliders and exact-value fields follow the state without being re-rendered: the
  // fields show each value, the sliders their position (from the payloads).
  function setField(id, text) {
    var el = document.getElementById(U.domId(id));
    if (!el) { return; }
    valueText(el, text);
    if (el === document.activeElement || (el.value === text && !el._descentPreview)) { return; }
    el._descentPreview = false;
    U.setProps(id, {value: text});
  }
  // The slider beside an exact-value field reads the real value to screen readers (its
  // own aria-valuenow is the log10 position on a log slider).
  function valueText(field, text) {
    var box = field.closest ? field.closest(".control[data-name]") : null, thumb = box && box.querySelector("[role=slider]");
    if (thumb) { U.setAttr(thumb, "aria-valuetext", text); }
  }
  // While a slider is in the hand, its field shows each previewed value without a Dash
  // store update (each one re-checks every component of the page); the value is handed
  // to Dash when the state settles (setField above).
  function showField(id, text) {
    var el = document.getElementById(U.domId(id));
    if (!el || el === document.activeElement || el.value === text) { return; }
    el.value = text;
    el._descentPreview = true;
    valueText(el, text);  // a screen reader hears each stepped value, not the last committed one
  }
  var positions = {};  // the position each slider was last set to or reported
  var setByPage = {};   // positions the page gave a thumb (not the hand): not previewed
  function thumbOf(key) {
    var box = document.getElementById(key);
    return box ? box.querySelector("[role=slider]") : null;
  }
  // A slider is set only when its thumb is more than a fraction of a pixel away from the
  // state's position: each set is a Dash store update and runs the dispatcher again, and a
  // keyboard step leaves the thumb a rounding error off the server's grid.
  function setSlider(id, position) {
    var key = U.domId(id), thumb = thumbOf(key), old = positions[key];
    if (old === undefined && thumb) { old = parseFloat(thumb.getAttribute("aria-valuenow")); }
    if (old === position) { return; }
    if (thumb && typeof old === "number" && typeof position === "number") {
      var lo = parseFloat(thumb.getAttribute("aria-valuemin")), hi = parseFloat(thumb.getAttribute("aria-valuemax"));
      if (isFinite(lo) && isFinite(hi) && Math.abs(position - old) <= 0.002 * (hi - lo)) { return; }
    }
    positions[key] = position;
    setByPage[key] = position;
    U.setProps(id, {value: position});
  }

  // ``p`` must be the paths payload that goes with the state ``st``: the state store and
  // the paths store change in one reply, and a state with older paths would put the old
  // values back into the fields and sliders.
  function syncControls(p, st) {
    p = p || ctl.paths; st = st || ctl.state;
    if (!p || !st || dragging || queue.length || Object.keys(settling).length) { return; }  // newer values are on their way
    var E = ctl.ids;
    (p.runs || []).forEach(function (raw) {
      if (!raw) { return; }
      Object.keys(raw.values || {}).forEach(function (name) {
        setField({type: E.HPARAM_TEXT, run: raw.id, name: name}, raw.values[name]);
        if (name in (raw.positions || {})) { setSlider({type: E.HPARAM, run: raw.id, name: name}, raw.positions[name]); }
      });
    });
    var c = p.controls || {};
    Object.keys(c.sparam || {}).forEach(function (name) {
      setField({type: E.SPARAM_TEXT, name: name}, c.sparam[name][0]);
      if (c.sparam[name][1] !== null) { setSlider({type: E.SPARAM, name: name}, c.sparam[name][1]); }
    });
    if (c.scale) { setField(E.LOSS_SCALE_TEXT, c.scale[0]); setSlider(E.LOSS_SCALE, c.scale[1]); }
    if (c.noise) { setField(E.NOISE_TEXT, c.noise[0]); setSlider(E.NOISE, c.noise[1]); }
    if (c.compare) {
      setField({type: E.COMPARE_TEXT, name: "value"}, c.compare[0]);
      setSlider({type: E.COMPARE_PARAM, name: "value"}, c.compare[1]);
    }
    Object.keys(c.schedules || {}).forEach(function (rid) {
      Object.keys(c.schedules[rid]).forEach(function (name) {
        setField({type: E.SCHEDULE_TEXT, run: +rid, name: name}, c.schedules[rid][name][0]);
        if (c.schedules[rid][name][1] !== null) { setSlider({type: E.SCHEDULE_PARAM, run: +rid, name: name}, c.schedules[rid][name][1]); }
      });
    });
    labelThumbs();
  }

  // Slider thumbs get an accessible name (the knob and its owner) and read their real
  // value (not the log10 position): the exact-value field's text until setField says more.
  function labelThumbs() {
    document.querySelectorAll(".control[data-name]").forEach(function (box) {
      var thumb = box.querySelector("[role=slider]"), field = box.querySelector(".control-value input, input.control-value");
      if (!thumb) { return; }
      thumb.setAttribute("aria-label", box.getAttribute("data-name"));
      if (field && !thumb.hasAttribute("aria-valuetext")) { thumb.setAttribute("aria-valuetext", field.value); }
    });
  }

  // ----------------------------------------------------------- dispatch
  function getPath(obj, path) {
    return path.split(".").reduce(function (o, k) { return o === null || o === undefined ? undefined : o[k]; }, obj);
  }
  function runById(runs, id) {
    for (var i = 0; i < (runs || []).length; i++) { if (runs[i] && runs[i].id === id) { return runs[i]; } }
    return null;
  }
  // A text field holds what was typed ("2.5") where the state holds a number (2.5): a
  // field left or submitted unchanged is no action.
  var DECIMAL = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
  function asNumber(v) { return typeof v === "string" && DECIMAL.test(v) ? Number(v) : v; }
  function same(a, b) {
    if (typeof a === "number" || typeof b === "number") { a = asNumber(a); b = asNumber(b); }
    if (typeof a === "number" && typeof b === "number") { return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a)); }
    return JSON.stringify(a) === JSON.stringify(b);
  }

  // The value in use for an action's control (undefined: unknown, so always send).
  function current(event, action, state, paths) {
    var m = event.mirror || "", c = (paths && paths.controls) || {};
    if (!m || !state) { return undefined; }
    if (m.indexOf("state:") === 0) { return getPath(state, m.slice(6).replace("{name}", action.name)); }
    if (m.indexOf("run:") === 0) { var r = runById(state.runs, action.run); return r ? getPath(r, m.slice(4)) : undefined; }
    if (m === "box") { return state.box ? "fit" : "whole"; }
    var textual = m.indexOf("text:") === 0, what = m.slice(textual ? 5 : 9), pair;
    if (what === "hparam") {
      var raw = runById(paths && paths.runs, action.run);
      return raw ? (textual ? (raw.values || {})[action.name] : (raw.positions || {})[action.name]) : undefined;
    }
    if (what === "sparam") { pair = (c.sparam || {})[action.name]; }
    else if (what === "schedule") { pair = ((c.schedules || {})[String(action.run)] || {})[action.name]; }
    else if (what === "compare") { if (action.name === "name") { return Object.keys(state.compare || {})[0] || ""; } pair = c.compare; }
    else { pair = c[what]; }
    return pair ? pair[textual ? 0 : 1] : undefined;
  }

  function eventFor(idOrType, prop) {
    var list = (ctl.config && ctl.config.events) || [];
    for (var i = 0; i < list.length; i++) {
      if (list[i].component === idOrType && list[i].prop === prop) { return list[i]; }
    }
    return null;
  }

  function findState(cc, id, prop) {
    var key = U.domId(id), found;
    (cc.states_list || []).forEach(function (entry) {
      (Array.isArray(entry) ? entry : [entry]).forEach(function (s) {
        if (s && s.property === prop && U.domId(s.id) === key) { found = s.value; }
      });
    });
    return found;
  }

  var seq = 0;
  // The component id of one trigger ("steps.value", '{"key":"x","type":"lesson-pick"}.n_clicks').
  function triggerId(trigger) {
    var head = trigger.prop_id.slice(0, trigger.prop_id.lastIndexOf("."));
    if (head.charAt(0) !== "{") { return head; }
    try { return JSON.parse(head); } catch (e) { return head; }
  }

  function actionFrom(cc, trigger, value) {
    var prop = trigger.prop_id.slice(trigger.prop_id.lastIndexOf(".") + 1), id = triggerId(trigger);
    var event = eventFor(typeof id === "object" && id !== null ? id.type : id, prop);
    if (!event) { return null; }
    var action = {kind: event.kind};
    event.keys.forEach(function (k) { action[k] = id[k]; });
    if (event.click) {
      if (!value) { return null; }  // a button just rendered, not clicked
    } else if (event.valueFrom) {
      action.value = findState(cc, id, event.valueFrom);
    } else {
      action.value = value;
    }
    event.extra.forEach(function (x) { action[x[0]] = findState(cc, x[1], x[2]); });
    return {action: action, event: event};
  }

  var dragging = false;
  // One action at a time. The server applies an action to the state the page sends with
  // it, so an action sent before the previous one is answered would start from the old
  // state and undo it (one run's slider, then another's, within a round trip). Actions
  // that come meanwhile wait in a queue (a newer value of the same control replaces the
  // older one) and go out one by one as the answers arrive (the state store changes on
  // every answer). Should an answer never come, the queue moves on after SAFETY_MS.
  //
  // Several inputs can also fire in one call: components just rendered report the values
  // they were given (all in use already: nothing is sent), and a field's blur lands with
  // the click that caused it (both are sent, the field's value first).
  var awaiting = null, queue = [], SAFETY_MS = 10000;

  function control(found) {
    var key = [found.event.kind];
    found.event.keys.forEach(function (k) { key.push(found.action[k]); });
    return JSON.stringify(key);
  }
  function busy() { return !!awaiting && performance.now() - awaiting.at < SAFETY_MS; }
  function touched(found) {  // the control has a value on its way: its old value is no no-op
    var key = control(found);
    return (busy() && awaiting.control === key) || queue.some(function (q) { return q.control === key; });
  }
  function send(found) {
    seq += 1;
    found.action.seq = seq;
    ctl.lastAction = found.action;
    awaiting = {control: control(found), at: performance.now()};
    return found.action;
  }
  function enqueue(found) {
    found.control = control(found);
    if (!found.event.click) { queue = queue.filter(function (q) { return q.control !== found.control; }); }
    queue.push(found);
  }
  function answered() {
    awaiting = null;
    if (queue.length) { U.setProps(ID("ACTION"), {data: send(queue.shift())}); }
  }

  function dispatch() {
    var cc = window.dash_clientside.callback_context || {}, nu = noUpdate();
    var triggered = cc.triggered || [];
    if (!triggered.length || !ctl.config) { return nu; }
    var args = arguments, state = args[args.length - 2] || ctl.state, paths = args[args.length - 1] || ctl.paths;
    var changes = [];
    triggered.forEach(function (trigger) {
      var found = actionFrom(cc, trigger, trigger.value);
      if (!found) { return; }
      if (found.event.kind === "click" || found.event.kind === "frame") { found.action.value = trigger.value; }
      var inUse = current(found.event, found.action, state, paths);
      if (inUse !== undefined && same(inUse, found.action.value) && !touched(found)) { return; }
      changes.push(found);
    });
    if (!changes.length) { return nu; }
    changes.sort(function (a, b) { return (a.event.click ? 1 : 0) - (b.event.click ? 1 : 0); });
    settleSliders().forEach(enqueue);
    changes.forEach(enqueue);
    return busy() ? nu : send(queue.shift());
  }

  // ------------------------------------------------------------- preview
  // While the hand moves a slider (or steps it with the keyboard), the page asks the
  // preview route for the moving paths itself, reading the value from the thumb's
  // aria-valuenow as the slider commits it to the DOM. A Dash callback on drag_value
  // would send every move through dash-renderer's callback pipeline (about a dozen store
  // updates, each re-checking every component of the page): 150-250 ms of main thread a
  // move with 8 runs, so no preview reached the screen before the hand stopped. Up to
  // PREVIEWS_IN_FLIGHT requests are out at once, so the hand's newest value leaves at once
  // instead of waiting for an older one's answer (a round trip more after the last move);
  // beyond that the newest value waits and replaces any older waiting one. A reply older
  // than one already shown, or asked from a state since replaced, is dropped. A value
  // already asked for (the release's commit of the last dragged value) is not asked again.
  var PREVIEWS_IN_FLIGHT = 2;
  var inflight = 0, pending = null, lastSent = null, sentSeq = 0, shownSeq = 0;
  function actionKey(action) {
    return JSON.stringify([action.kind, action.run === undefined ? null : action.run,
                           action.name === undefined ? null : action.name, action.value]);
  }

  function requestPreview(action) {
    if (!ctl.state || !ctl.config) { return; }
    var key = actionKey(action), state = ctl.state;
    if (lastSent && lastSent.key === key && lastSent.state === state) { pending = null; return; }
    if (inflight >= PREVIEWS_IN_FLIGHT) { pending = action; return; }
    var seq = sentSeq += 1, started = performance.now();
    lastSent = {key: key, state: state};
    inflight += 1;
    window.fetch(ctl.config.preview, {
      method: "POST", headers: {"Content-Type": "application/json"}, credentials: "same-origin",
      body: JSON.stringify({state: state, action: action}),
    }).then(function (response) { return response.json(); }).then(function (reply) {
      ctl.lastPreviewMs = performance.now() - started;
      if (seq <= shownSeq || state !== ctl.state) { return; }
      shownSeq = seq;
      if (reply && (reply.runs || reply.unchanged) && !reply.error) { applyPreview(reply); }
    }).catch(function () { /* the release commits through the server anyway */ }).then(function () {
      inflight -= 1;
      if (pending) { var next = pending; pending = null; requestPreview(next); }
    });
  }
  function previewsBusy() { return inflight > 0 || pending !== null; }

  // The slider under the hand: pressed with the pointer, or stepped with a key just now
  // (keyedAt: when each slider, by its box's id, last had a key; several can be in
  // flight at once: one key on a slider, then one on another within the settling time).
  var pressed = null, keyedAt = {};
  function sliderBox(el) { return el && el.closest ? el.closest(".dash-slider-container[id]") : null; }

  // A pointer drag of a slider is followed by the page itself: the thumb and the filled
  // track move with the hand and aria-valuenow says the value (the preview reads it), with
  // no React render and no Dash store update per move (each re-checked every component of
  // the page: ~16 ms of main thread a move on a loaded machine, which capped the repaints
  // of a drag). The value reaches the slider (its Dash value) and the state at release. It
  // behaves as the slider does: the value under the pointer on the whole track, snapped to
  // the slider's step; the thumb kept inside the track; keys still go to the slider.
  var hand = null;  // {box, root, thumb, pointer, min, max, step, value}
  function sliderProps(box) {
    var api = window.dash_component_api, id;
    try { id = box.id.charAt(0) === "{" ? JSON.parse(box.id) : box.id; } catch (e) { return null; }
    var layout = api && api.getLayout ? api.getLayout(id) : null, props = layout && layout.props;
    if (!props || typeof props.min !== "number" || typeof props.max !== "number" || !(props.max > props.min)) { return null; }
    return {id: id, min: props.min, max: props.max, value: props.value,
            step: typeof props.step === "number" && props.step > 0 ? props.step : null};
  }
  // The track's box and the thumb's size are read once a drag (and again after a scroll):
  // read after each move's style change they forced a layout per move.
  function handValue(clientX) {
    var rect = hand.rect || (hand.rect = hand.root.getBoundingClientRect());
    var f = Math.max(0, Math.min(1, (clientX - rect.left) / (rect.width || 1)));
    return snapped(hand, hand.min + f * (hand.max - hand.min));
  }
  // Puts the thumb (and the filled track) of a slider ({root, thumb, min, max}) at a value,
  // where the slider itself would draw it; aria-valuenow says the value (the preview reads it).
  function placeThumb(grip, value) {
    var pct = 100 * (value - grip.min) / (grip.max - grip.min);
    var half = grip.half || (grip.half = (grip.thumb.offsetWidth || 16) / 2);
    var holder = grip.thumb.parentElement, range = grip.root.querySelector(".dash-slider-range");
    if (holder) { holder.style.left = "calc(" + pct + "% + " + (half - 2 * half * pct / 100) + "px)"; }
    if (range) { range.style.left = "0%"; range.style.right = (100 - pct) + "%"; }
    grip.thumb.setAttribute("aria-valuenow", String(value));  // the preview follows it
  }
  function showHand(value) {
    hand.value = value;
    placeThumb(hand, value);
  }
  document.addEventListener("pointerdown", function (event) {
    pressed = sliderBox(event.target);
    if (!pressed) { return; }
    dragging = true;
    var root = pressed.querySelector(".dash-slider-root"), thumb = pressed.querySelector("[role=slider]");
    var props = event.button === 0 && root && thumb && root.contains(event.target) ? sliderProps(pressed) : null;
    if (!props || !sliderAction(pressed, thumb)) { return; }  // not a previewed slider: the slider's own way
    event.stopPropagation();
    event.preventDefault();
    hand = {box: pressed, root: root, thumb: thumb, pointer: event.pointerId, id: props.id,
            min: props.min, max: props.max, step: props.step, value: null, rect: null, half: null};
    ctl.inHand = true;
    try { root.setPointerCapture(event.pointerId); } catch (e) { /* an old browser: moves still come */ }
    thumb.focus();
    showHand(handValue(event.clientX));
  }, true);
  document.addEventListener("pointermove", function (event) {
    if (!hand || event.pointerId !== hand.pointer) { return; }
    event.stopPropagation();
    var v = handValue(event.clientX);
    if (v !== hand.value) { showHand(v); }
  }, true);
  function release(event) {
    var box = pressed, held = hand;
    if (held && event && event.pointerId !== held.pointer) { return; }
    pressed = null;
    hand = null;
    dragging = false;
    if (held) {
      if (event) { event.stopPropagation(); }
      try { held.root.releasePointerCapture(held.pointer); } catch (e) { /* already released */ }
      positions[held.box.id] = undefined;
      settleSlider(held.box, 0);  // the slider's Dash value, then the state, take the hand's value
      return;
    }
    // after the slider has rendered the last move (React may still have it scheduled)
    if (box) { window.setTimeout(function () { commitSlider(box); }, 0); }
  }
  document.addEventListener("pointerup", release, true);
  window.addEventListener("scroll", function () { if (hand) { hand.rect = null; } }, {capture: true, passive: true});
  document.addEventListener("pointercancel", release, true);
  // A keyboard step on a previewed slider is taken by the page as well, by the slider's own
  // rules (an arrow one step, PageUp/PageDown or Shift with an arrow ten, Home and End the
  // ends, a value off the grid first to the grid), with no React render and no Dash store
  // update per key (each one cost a key 20-25 ms before its preview could leave). The
  // value reaches the slider's Dash value once the keys settle (settleSlider).
  var STEP_KEYS = {ArrowRight: 1, ArrowUp: 1, PageUp: 1, ArrowLeft: -1, ArrowDown: -1, PageDown: -1};
  function decimals(x) { return (String(x).split(".")[1] || "").length; }
  function roundTo(x, digits) { var f = Math.pow(10, digits); return Math.round(x * f) / f; }
  function keyedValue(key, shift, props, value) {
    if (key === "Home") { return snapped(props, props.min); }
    if (key === "End") { return snapped(props, props.max); }
    var direction = STEP_KEYS[key], step = props.step;
    if (!direction || !step || !isFinite(value)) { return null; }
    var digits = decimals(step), times = (value - props.min) / step, near = Math.round(times);
    var onGrid = roundTo(near * step + props.min, digits) === roundTo(value, digits);
    var multiplier = key.indexOf("Page") === 0 || shift ? 10 : 1;
    var n = onGrid ? near + multiplier * direction : (direction > 0 ? Math.ceil(times) : Math.floor(times));
    return snapped(props, n * step + props.min);
  }
  function snapped(props, v) {  // on the slider's grid, inside its ends (as the slider keeps a value)
    if (props.step) { v = roundTo(Math.round((v - props.min) / props.step) * props.step + props.min, decimals(props.step)); }
    return Math.max(props.min, Math.min(props.max, v));
  }
  document.addEventListener("keydown", function (event) {
    var box = sliderBox(event.target);
    if (!box) { return; }
    keyedAt[box.id] = performance.now();
    if (hand || event.ctrlKey || event.altKey || event.metaKey) { return; }
    var thumb = box.querySelector("[role=slider]"), root = box.querySelector(".dash-slider-root");
    if (event.target !== thumb || !root || box.querySelectorAll("[role=slider]").length !== 1) { return; }
    var props = sliderProps(box), value = parseFloat(thumb.getAttribute("aria-valuenow"));
    var next = props && sliderAction(box, thumb) ? keyedValue(event.key, event.shiftKey, props, value) : null;
    if (next === null) { return; }  // not a previewed slider or not a step: the slider's own way
    event.preventDefault();
    event.stopPropagation();
    if (next === value) { return; }
    ctl.inHand = true;  // the charts settle with the keys
    placeThumb({root: root, thumb: thumb, min: props.min, max: props.max}, next);
  }, true);
  function keyedSince(box) { return box.id in keyedAt ? performance.now() - keyedAt[box.id] : Infinity; }

  // The action a slider's thumb stands for (its id's fields and its position).
  function sliderAction(box, thumb) {
    var id;
    try { id = box.id.charAt(0) === "{" ? JSON.parse(box.id) : box.id; } catch (e) { return null; }
    var type = typeof id === "object" ? id.type : id, value = parseFloat(thumb.getAttribute("aria-valuenow"));
    var event = ((ctl.config && ctl.config.events) || []).filter(function (e) {
      return e.preview && e.component === type;
    })[0];
    if (!event || !isFinite(value)) { return null; }
    var action = {kind: event.kind};
    event.keys.forEach(function (k) { action[k] = id[k]; });
    action.value = value;
    return {action: action, event: event};
  }

  // A slider's value enters the state once the hand lets go: for a drag or a click on the
  // track, once the pointer is up and the last value's preview is on screen; for keys, once
  // the last step's preview is on screen and no key came for KEY_SETTLE_MS on that slider
  // (holding an arrow key commits once; each slider keyed settles on its own). The commit
  // (the slider's Dash value, the action, the charts catching up: tens of ms of main thread)
  // waits for the frame showing the last preview to be painted, so it never holds that
  // frame back. The page writes the action into the action store itself: a slider's value
  // is no Input of the dispatcher, so its moves and steps cost no trip through
  // dash-renderer's callback pipeline.
  var KEY_SETTLE_MS = 300, settling = {};  // box id -> {timer, box}
  // The slider's action for the value its thumb shows, or null when that value is in use.
  function sliderCommit(box) {
    var thumb = box && box.isConnected ? box.querySelector("[role=slider]") : null;
    var found = thumb ? sliderAction(box, thumb) : null;
    if (found) { giveValue(box, found.action.value); }
    if (!found || !ctl.config) { return null; }
    var action = found.action, inUse = current(found.event, action, ctl.state, ctl.paths);
    if (inUse !== undefined && same(inUse, action.value) && !touched(found)) { return null; }
    positions[box.id] = action.value;
    requestPreview(action);  // nothing when the preview has already asked for this value
    return found;
  }
  // The slider's Dash value takes the value the page showed on its thumb (a drag or keys
  // the page followed); the render that follows is not a move of the person's.
  function giveValue(box, value) {
    var props = sliderProps(box);
    if (!props || props.value === value) { return; }
    setByPage[box.id] = value;
    U.setProps(props.id, {value: value});
  }
  function commitSlider(box) {
    var found = sliderCommit(box);
    if (!found) { return; }
    enqueue(found);  // one action in flight: the slider's waits for the answer before it
    if (!busy()) { U.setProps(ID("ACTION"), {data: send(queue.shift())}); }
  }
  function settleSlider(box, wait) {
    var key = box.id, entry = {box: box, timer: null};
    if (settling[key]) { window.clearTimeout(settling[key].timer); }
    settling[key] = entry;
    function waiting() { return hand || previewsBusy() || keyedSince(box) < KEY_SETTLE_MS; }
    entry.timer = window.setTimeout(function settle() {
      if (waiting()) {
        entry.timer = window.setTimeout(settle, 50);
        return;
      }
      U.afterPaint(function () {
        if (settling[key] !== entry) { return; }  // a new key came, or another action settled it
        if (waiting()) { entry.timer = window.setTimeout(settle, 50); return; }
        delete settling[key];
        commitSlider(box);
        handSettled();
      });
    }, wait);
  }
  // Once no slider is in the hand or settling, the charts (and instruments) catch up with
  // the paths shown.
  function handSettled() {
    if (hand || Object.keys(settling).length || !ctl.inHand) { return; }
    ctl.inHand = false;
    ctl.runHooks("runs");
    drawFrame();
  }
  // Another control acts while sliders are still settling: their values go first, so the
  // other action (a lesson, a switch of surface) applies after them instead of the
  // sliders' values landing later on a set-up they were not meant for.
  function settleSliders() {
    var out = [];
    Object.keys(settling).forEach(function (key) {
      var entry = settling[key];
      window.clearTimeout(entry.timer);
      delete settling[key];
      var found = sliderCommit(entry.box);
      if (found) { out.push(found); }
    });
    handSettled();
    return out;
  }

  // Only a value the person moved is previewed: the page's own updates of a slider (the
  // state it was sent) change aria-valuenow too, with no slider pressed or keyed. Each
  // slider's newest value wins; every slider that moved is seen (two sliders can change
  // in one batch of records).
  new MutationObserver(function (records) {
    var done = {};
    for (var i = records.length - 1; i >= 0; i--) {
      var thumb = records[i].target, box = sliderBox(thumb);
      if (!box || done[box.id]) { continue; }
      done[box.id] = true;
      if (box.id in setByPage) {
        var given = setByPage[box.id];
        delete setByPage[box.id];
        if (parseFloat(thumb.getAttribute("aria-valuenow")) === given) { continue; }
      }
      var byKey = keyedSince(box) < 1000;
      if (box !== pressed && !byKey) { continue; }
      var found = sliderAction(box, thumb);
      if (found) { requestPreview(found.action); }
      if (byKey && box !== pressed) { settleSlider(box, KEY_SETTLE_MS); }
    }
  }).observe(document.documentElement, {subtree: true, attributes: true, attributeFilter: ["aria-valuenow"]});

  function applyPreview(reply) {
    ctl.previews += 1;
    if (reply.unchanged) { showCommitted(); return; }
    if (reply.surface) { decodeSurface(reply.surface); rebuildMain(); }
    replaceRuns(reply.runs, reply.twin);
    drawFrame();  // before the DOM changes below, so that it forces no layout
    ctl.lastPreviewPaintAt = performance.now();
    // The legend settles at release with the state: its text changing under the hand can
    // change its height, which resizes the contour graph (a whole Plotly relayout).
    if (reply.controls) { previewFields(reply.controls, reply.runs); }
  }

  // The value previewed is the one in use: back to what the stores hold (the contour, the
  // runs and the fields an earlier preview replaced).
  function showCommitted() {
    if (decodeSurface(ctl.committedSurface)) { rebuildMain(); }
    setPaths(ctl.paths, true);
    drawFrame();
    ctl.lastPreviewPaintAt = performance.now();
    previewFields(ctl.paths.controls || {}, ctl.paths.runs || []);
  }

  // While dragging, the exact-value fields follow the preview (the sliders are in the hand).
  function previewFields(controls, runsById) {
    var E = ctl.ids;
    Object.keys(runsById).forEach(function (k) {
      var raw = runsById[k];
      Object.keys(raw.values || {}).forEach(function (name) {
        showField({type: E.HPARAM_TEXT, run: raw.id, name: name}, raw.values[name]);
      });
    });
    Object.keys(controls.sparam || {}).forEach(function (name) { showField({type: E.SPARAM_TEXT, name: name}, controls.sparam[name][0]); });
    if (controls.scale) { showField(E.LOSS_SCALE_TEXT, controls.scale[0]); }
    if (controls.noise) { showField(E.NOISE_TEXT, controls.noise[0]); }
    if (controls.compare) { showField({type: E.COMPARE_TEXT, name: "value"}, controls.compare[0]); }
  }

  // The view toggle redraws at once from the layouts the paths payload carries for each
  // view; the choice then goes to the server like any action (its reply has the same
  // layout, so nothing is drawn twice).
  function switchView(view) {
    var v = ctl.paths && ctl.paths.views && ctl.paths.views[view];
    if (!v || view === ctl.view) { return; }
    ctl.paths = Object.assign({}, ctl.paths, {panels: v.panels, layout: v.layout});
    ctl.view = view;
    rebuildMain();
  }
  // The click does not reach the radio items: their new value is a Dash store update that
  // re-checks every component of the page (60-80 ms of main thread), which held back the
  // frame showing the new view. The radio is checked natively, the view drawn, and the
  // radio items get their value once that frame is painted (the last one clicked, if
  // another click came meanwhile).
  var viewWanted = null;
  document.addEventListener("click", function (event) {
    var el = event.target, group = el && el.closest ? el.closest("#" + ID("VIEW")) : null;
    if (!group || el.tagName !== "INPUT" || !el.checked) { return; }
    event.stopPropagation();
    switchView(el.value);
    var pending = viewWanted !== null;
    viewWanted = el.value;
    if (pending) { return; }
    U.afterPaint(function () {
      var view = viewWanted;
      viewWanted = null;
      U.setProps(ID("VIEW"), {value: view});
    });
  }, true);

  function rebuildMain() {
    if (!U.graphDiv(ID("MAIN_GRAPH")) || !ctl.paths) { return; }
    var fig = mainFigure();
    ctl.mainKey = mainKey();
    expectRanges(fig.layout);
    plotMain(fig);
  }

  // The main graph is a box the page plots into (ui/race/layout.py): its plot is the HTML's
  // first frame when that shows this very figure (adopted, not drawn again), else a new
  // one; it follows its box's size as Dash's responsive graphs do.
  function mainConfig() { return (ctl.config && ctl.config.mainGraph) || {}; }
  function figureKey(surfaceRaw, paths) {
    return JSON.stringify([surfaceRaw.key, surfaceRaw.params, surfaceRaw.box, !!surfaceRaw.twin,
                           paths.layout, paths.panels, phone()]);
  }
  function plotMain(fig) {
    var host = document.getElementById(ID("MAIN_GRAPH"));
    if (!host || !window.Plotly) { return; }
    var gd = host.querySelector(".js-plotly-plot");
    if (!gd) {
      var first = firstPlot;
      firstPlot = null;
      if (first && first.key === figureKey(ctl.surfaceRaw, ctl.paths)) {
        // two animation frames later, like the live page's own first frame (00_core.js):
        // Dash has then applied the rest of its reply (the banner above the graph); the
        // plot moves and the live page is shown with it in one task, so no frame shows
        // the first paint's box empty
        ctl.adopting = true;  // the page is shown with it (markReady waits)
        window.requestAnimationFrame(function () { window.requestAnimationFrame(function () {
          ctl.adopting = false;
          if (host.querySelector(".js-plotly-plot") || !document.body.contains(host)) { drawFrame(); return; }
          first.gd.classList.remove("first-plot");
          host.appendChild(first.gd);
          ctl.firstFrame.adopted = true;
          followSize(host, first.gd);
          drawFrame();
        }); });
        return;
      }
      gd = document.createElement("div");
      gd.style.width = "100%"; gd.style.height = "100%";
      host.appendChild(gd);
      followSize(host, gd);
    }
    window.Plotly.react(gd, fig.data, fig.layout, mainConfig());
  }
  function followSize(host, gd) {
    if (!window.ResizeObserver) { return; }
    var queued = false;
    new ResizeObserver(function () {
      if (queued) { return; }
      queued = true;
      window.requestAnimationFrame(function () {
        queued = false;
        var full = gd._fullLayout;
        if (full && host.contains(gd) && (Math.abs(full.width - gd.clientWidth) > 0.5 || Math.abs(full.height - gd.clientHeight) > 0.5)) {
          window.Plotly.Plots.resize(gd);
        }
      });
    }).observe(host);
  }

  // ------------------------------------------------------- clientside callbacks
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.race = {
    configure: function (config) { ctl.configure(config); chartLayouts = config && config.charts; },

    render: function (surface, paths, viewStore, state) {
      var nu = noUpdate();
      var trig = (window.dash_clientside.callback_context || {}).triggered || [];
      var fromView = trig.some(function (t) { return t.prop_id.indexOf(ID("VIEW_STORE")) === 0; });
      if (state) { ctl.state = state; }
      var autoplay = false;
      frameOnce();
      if (viewStore && fromView) {
        ctl.view = viewStore.view || "overlay";
        if (viewStore.frame !== null && viewStore.frame !== undefined) { ctl.frame = viewStore.frame; ctl.position = viewStore.frame; }
        autoplay = !!viewStore.autoplay;
        ctl.stopAt = viewStore.stop;
        if (viewStore.reveal) { reveal(); }
      }
      if (!surface || !paths) { return [nu, nu]; }
      ctl.renders += 1;
      ctl.lastRenderAt = performance.now();
      ctl.committedSurface = surface;
      decodeSurface(surface);
      setPaths(paths);
      if (autoplay && ctl.maxFrame > 0) { ctl.frame = 0; ctl.position = 0; window.setTimeout(play, 150); }
      if (ctl.frame > ctl.maxFrame) { ctl.frame = ctl.maxFrame; ctl.position = ctl.maxFrame; }
      var key = mainKey(), main = key === ctl.mainKey ? nu : mainFigure();
      ctl.mainKey = key;
      if (main !== nu) { expectRanges(main.layout); plotMain(main); }
      var noMin = !(paths.minimizers || []).length;
      var loss = chartFigure("loss", paths.loss_title, lossSeries, paths.loss_kind === "gap");
      var dist = chartFigure("dist", "distance to the nearest minimum", distSeries, !noMin,
                             noMin ? "this surface has no known minimum" : null);
      var charts = [["loss", loss], ["dist", dist]].map(function (pair) {
        if (!pair[1]) { return nu; }
        var k = JSON.stringify([pair[1].layout.yaxis.range, pair[1].layout.yaxis.type, pair[1].layout.xaxis.range,
                                pair[1].layout.annotations]);
        if (ctl["chartKey" + pair[0]] === k) { return nu; }
        ctl["chartKey" + pair[0]] = k;
        return pair[1];
      });
      drawLegend();
      updatePlayer();
      syncControls();
      if (main === nu) { drawFrame(); }  // same axes: the new runs can be drawn right away
      window.setTimeout(hookGraphs, 0);
      if (!ctl.ready && main !== nu) {
        // The first contour is drawn alone: the step charts follow once it is painted (one
        // long task less at load: React mounting three graphs and Plotly drawing them).
        var later = {LOSS_GRAPH: charts[0], DIST_GRAPH: charts[1]};
        U.afterPaint(function () {
          Object.keys(later).forEach(function (name) { if (later[name] !== nu) { U.setProps(ID(name), {figure: later[name]}); } });
        });
        return [nu, nu];
      }
      return [charts[0], charts[1]];
    },

    dispatch: dispatch,

    // A map hands the race an action (a set-up, a start): it joins the queue like the
    // page's own actions (never deduplicated), so it cannot overwrite one sent at the same
    // moment, nor be overwritten by it.
    handOver: function (action) {
      if (!action || typeof action !== "object") { return noUpdate(); }
      enqueue({action: Object.assign({}, action), event: {kind: String(action.kind), keys: [], click: true}});
      return busy() ? noUpdate() : send(queue.shift());
    },

    // The state store changed (a refused value too): the controls show the values in use,
    // read from the paths store of the same reply (``paths``, a State).
    syncState: function (state, paths) {
      if (!state) { return; }
      ctl.state = state;
      syncControls(paths, state);
      window.setTimeout(answered, 0);  // the server answered: the next queued action may go
    },

    runStatus: function (paths) {
      var outputs = (window.dash_clientside.callback_context || {}).outputs_list || [];
      return outputs.map(function (o) {
        var run = paths && paths.runs ? runById(paths.runs, o.id.run) : null;
        return run ? run.status_text + (run.note ? " — " + run.note : "") : "";
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
        if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(href); return "Link copied"; }
      } catch (e) { /* fall through */ }
      window.prompt("Copy this link:", href);
      return "";
    },

    // A formula typeset on demand (MathJax loads with the first one shown).
    formula: function (n, source) {
      var cc = window.dash_clientside.callback_context || {}, id = cc.triggered_id;
      var button = id ? document.getElementById(U.domId(id)) : null, open = !!(n % 2);
      if (button) { button.setAttribute("aria-expanded", open ? "true" : "false"); button.classList.toggle("open", open); }
      if (!open) { return []; }
      return {type: "Markdown", namespace: "dash_core_components", props: {children: source, mathjax: true}};
    },

    fanText: function (k) { return typeof k === "number" && k >= 2 ? k + " seeds" : "off"; },
  };
})();

/*
 * Descent Lab — browser side.
 *
 * The server sends the contour once per surface (surface-store) and the whole
 * trajectories once per change (paths-store, float32 base64). Everything that
 * happens per animation frame happens here, without a server call:
 *
 *   render()      clientside callback: builds the three figures from the stores
 *                 (trace templates come from ui/figures.py; this file only fills
 *                 their x / y for the current frame);
 *   drawFrame()   draws the travelled paths, heads and frame lines on a canvas
 *                 laid over each graph (Plotly and the contour are not touched);
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
    click: "click-store", frameSync: "frame-sync-store",
  };
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
  };
  window.descentLab = ctl;

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
        index: run.index, n: run.n, status: run.status, label: run.label,
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

  function steps(n) {
    var a = new Float32Array(n);
    for (var i = 0; i < n; i++) { a[i] = i; }
    return a;
  }

  // ------------------------------------------------------ figure assembly
  // Plotly draws the static picture: contour, minima, start and each run's whole
  // path (a faint "ghost"). The moving part — the path travelled so far, the heads,
  // the end markers, the frame line on the charts — is drawn on a canvas laid over
  // each graph, so a frame costs a canvas redraw, not a Plotly update (measured
  // here: a Plotly restyle recalculates the contour, ~0.5 s; Plotly.animate of
  // 8 x 1000-point paths ran at ~15 fps in software rendering).
  var GHOST_OPACITY = 0.3;

  function axisNames(i) { return i === 0 ? ["x", "y"] : ["x" + (i + 1), "y" + (i + 1)]; }

  function ghost(template, run, axes) {
    var path = clone(template[0]);
    path.x = run.x; path.y = run.y; path.opacity = GHOST_OPACITY; path.mode = "lines";
    path.showlegend = false;
    if (axes) { path.xaxis = axes[0]; path.yaxis = axes[1]; }
    return path;
  }

  // The legend entry in full colour with the run's marker (the ghost is faint).
  function legendEntry(template, i) {
    var entry = clone(template[0]);
    entry.x = [null]; entry.y = [null]; entry.mode = "lines+markers"; entry.hoverinfo = "skip";
    entry.marker = {color: template[0].line.color, size: 8, symbol: SYMBOLS[i % SYMBOLS.length]};
    entry.meta = {run: i, role: "legend"};
    return entry;
  }

  function mainFigure() {
    var surface = ctl.surface, paths = ctl.paths, tpl = paths.templates, data = [], layout;
    var start = clone(tpl.start); start.x = [paths.start[0]]; start.y = [paths.start[1]];
    if (ctl.view === "grid" && ctl.runs.length) {
      layout = clone(tpl.grid_layout);
      ctl.runs.forEach(function (run, i) {
        var ax = axisNames(i);
        var c = clone(surface.contour); c.xaxis = ax[0]; c.yaxis = ax[1]; data.push(c);
        if (surface.minima) { var m = clone(surface.minima); m.xaxis = ax[0]; m.yaxis = ax[1]; data.push(m); }
        var s = clone(start); s.xaxis = ax[0]; s.yaxis = ax[1]; data.push(s);
        data.push(ghost(tpl.runs[i], run, ax));
      });
    } else {
      layout = clone(surface.layout);
      data.push(surface.contour);
      if (surface.minima) { data.push(surface.minima); }
      data.push(start);
      ctl.runs.forEach(function (run, i) {
        data.push(ghost(tpl.runs[i], run, null), legendEntry(tpl.runs[i], i));
      });
    }
    layout.uirevision = surface.key + JSON.stringify(surface.params) + ctl.view + ctl.runs.length;
    return {data: data, layout: layout};
  }

  function chartFigure(what) {
    var payload = ctl.paths.templates[what], data = [];
    ctl.runs.forEach(function (run, i) {
      var values = what === "loss" ? run.loss : run.dist;
      if (!values) { return; }
      var line = clone(payload.runs[i][0]);
      line.x = steps(run.n); line.y = values;
      data.push(line);
    });
    var layout = clone(payload.layout);
    if (layout.yaxis && layout.yaxis.type === "log") {  // whole decades only, about six labels
      var lo = Infinity, hi = -Infinity;
      data.forEach(function (t) {
        for (var j = 0; j < t.y.length; j++) {
          var v = t.y[j];
          if (v > 0 && isFinite(v)) { if (v < lo) { lo = v; } if (v > hi) { hi = v; } }
        }
      });
      if (hi > lo) {
        layout.yaxis = clone(layout.yaxis);
        layout.yaxis.dtick = Math.max(1, Math.ceil((Math.log10(hi) - Math.log10(lo)) / 6));
      }
    }
    if (what === "dist" && !(ctl.paths.minimizers || []).length) {
      layout.annotations = [{text: "this surface has no minimum", showarrow: false, xref: "paper",
                             yref: "paper", x: 0.5, y: 0.5, font: {color: "#7b8794"}}];
      layout.yaxis = clone(layout.yaxis); layout.yaxis.type = "linear";
    }
    return {data: data, layout: layout};
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
      if (gd.on && !gd._descentHooked) {  // zoom, pan, resize: redraw with the new axes
        gd._descentHooked = true;
        gd.on("plotly_afterplot", function () { ctl.lastPlotAt = performance.now(); drawFrame(); });
        gd.on("plotly_relayouting", function () { window.requestAnimationFrame(drawFrame); });
      }
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

  // the same order as ui/figures.py SYMBOLS (each run's marker on its card)
  var SYMBOLS = ["circle", "square", "diamond", "triangle-up", "pentagon", "hexagon", "star", "triangle-down"];

  function drawMain(gd) {
    var ctx = overlayCanvas(gd);
    ctl.runs.forEach(function (run, i) {
      var names = ctl.view === "grid" ? axisNames(i) : ["x", "y"];
      var axes = axisPair(gd, names[0], names[1]);
      if (!axes) { return; }
      var xa = axes[0], ya = axes[1], ox = xa._offset, oy = ya._offset;
      var k = visibleCount(run.n, ctl.frame);
      ctx.save();
      clipTo(ctx, xa, ya);
      ctx.beginPath();
      for (var j = 0; j < k; j++) {
        var px = ox + xa.c2p(run.x[j]), py = oy + ya.c2p(run.y[j]);
        if (j === 0) { ctx.moveTo(px, py); } else { ctx.lineTo(px, py); }
      }
      ctx.lineJoin = "round"; ctx.lineCap = "round";
      ctx.lineWidth = 2.2; ctx.strokeStyle = run.color; ctx.stroke();
      if (k <= 400) {  // dots at each iterate show the step sizes
        ctx.fillStyle = run.color;
        for (var d = 0; d < k; d++) {
          ctx.fillRect(ox + xa.c2p(run.x[d]) - 1.5, oy + ya.c2p(run.y[d]) - 1.5, 3, 3);
        }
      }
      var hx = ox + xa.c2p(run.x[k - 1]), hy = oy + ya.c2p(run.y[k - 1]);
      if (run.status === "diverged" && k === run.n) { cross(ctx, hx, hy, 7, run.color); }
      else { marker(ctx, SYMBOLS[i % SYMBOLS.length], hx, hy, 6, run.color); }
      ctx.restore();
    });
  }

  function drawChart(gd, what) {
    var ctx = overlayCanvas(gd);
    var axes = axisPair(gd, "x", "y");
    if (!axes) { return; }
    var xa = axes[0], ya = axes[1], ox = xa._offset, oy = ya._offset;
    ctx.save();
    clipTo(ctx, xa, ya);
    var fx = ox + xa.c2p(ctl.frame);
    ctx.beginPath(); ctx.moveTo(fx, oy); ctx.lineTo(fx, oy + ya._length);
    ctx.setLineDash([3, 3]); ctx.lineWidth = 1; ctx.strokeStyle = "#52606d"; ctx.stroke(); ctx.setLineDash([]);
    ctl.runs.forEach(function (run, i) {
      var values = what === "loss" ? run.loss : run.dist;
      if (!values) { return; }
      var k = visibleCount(run.n, ctl.frame), v = values[k - 1];
      var py = ya.c2p(v);
      if (!isFinite(py)) { return; }
      marker(ctx, SYMBOLS[i % SYMBOLS.length], ox + xa.c2p(k - 1), oy + py, 4.5, run.color);
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
    ctl.frames += 1;
    ctl.drawMs += performance.now() - t0;
    updatePlayer();
  }
  ctl.drawFrame = drawFrame;

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
      if (paths !== ctl.paths) { ctl.runs = decodeRuns(paths); ctl.paths = paths; }
      if (surface !== ctl.surfaceRaw) {
        ctl.surfaceRaw = surface;
        ctl.surface = clone(surface);
        ctl.surface.contour = decodeContour(surface.contour);
      }
      ctl.maxFrame = ctl.runs.reduce(function (m, r) { return Math.max(m, r.n - 1); }, 0);
      if (ctl.frame > ctl.maxFrame) { ctl.frame = ctl.maxFrame; ctl.position = ctl.maxFrame; }
      var figures = [mainFigure(), chartFigure("loss"), chartFigure("dist")];
      updatePlayer();
      if (autoplay && ctl.maxFrame > 0) {
        ctl.frame = 0; ctl.position = 0;
        figures = [mainFigure(), chartFigure("loss"), chartFigure("dist")];
        window.setTimeout(play, 150);
      }
      return figures;
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
          if (thumb) { thumb.setAttribute("aria-valuetext", text); }
          else if (++tries < 30) { window.setTimeout(label, 100); }
        };
        window.setTimeout(label, 0);
      }
      return text;
    },
  };
})();

/*
 * Descent Lab — the browser's shared core (loaded first: Dash loads assets in name order).
 *
 * window.descentLab (the controller, "ctl") holds what every room draws from: the config
 * the server sends once (ids, theme, instruments, the event table: ui/page.py's config()),
 * the decoded runs, the current frame, and the drawing helpers shared by the race
 * (10_race.js), the instruments (20_instruments.js) and the maps (30_maps.js).
 *
 * Runs arrive as JSON with float32 typed-array specs ({dtype: "f4", bdata}); decodeRun
 * turns every such spec into a Float32Array once per payload object.
 */
(function () {
  "use strict";

  var ctl = {
    config: null,       // ids, theme, instruments, events (from the config store)
    ids: {},
    theme: {palette: [], symbols: [], glyphs: {}, font: "sans-serif", ink: "#1f2933", muted: "#52606d",
            warn: "#b42318", ghostAlpha: 0.3, number: {significant: 3, fixedMin: 1e-4, fixedMax: 1e5}},
    state: null,        // the last validated state the server sent
    paths: null,        // the paths payload (meta: panels, layout, box...)
    runs: [],           // decoded runs (raw payloads may be replaced by previews)
    twin: null,         // decoded runs on the compared surface, or null
    surface: null,      // the contour payload, decoded
    frame: 0, position: 0, maxFrame: 0, playing: false, speed: 1, view: "overlay",
    frames: 0, drawMs: 0, pathsVersion: 0, renders: 0, previews: 0,
    inHand: false,      // a slider is being dragged: only the paths on the contour follow it
    adopting: false,    // the HTML's first frame is about to become the live graph (10_race.js)
    draw: {main: true, charts: true},
  };
  window.descentLab = ctl;

  // Extension points: functions called on every drawn frame. "mainUnder" (gd, ctx) on the
  // main graph's canvas under the runs, "mainOver" (gd, ctx) over them, "frame" () after
  // all graphs; "hover" (run, j) returns extra HTML for the path readout; "runs" () when
  // the runs change.
  ctl.hooks = {mainUnder: [], mainOver: [], frame: [], hover: [], runs: []};
  ctl.runHooks = function (name, a, b) {
    var list = ctl.hooks[name], html = "";
    for (var i = 0; i < list.length; i++) {
      try { html += list[i](a, b) || ""; } catch (e) { if (window.console) { window.console.error(e); } }
    }
    return html;
  };

  ctl.configure = function (config) {
    if (!config || ctl.config === config) { return; }
    ctl.config = config;
    ctl.ids = config.ids || {};
    if (config.theme) { ctl.theme = config.theme; }
  };

  // ---------------------------------------------------------------- numbers
  function fmt(v) {
    if (typeof v === "boolean") { return v ? "on" : "off"; }
    if (typeof v !== "number" || !isFinite(v)) { return String(v); }
    if (v === 0) { return "0"; }
    var n = ctl.theme.number, a = Math.abs(v);
    if (a >= n.fixedMin && a < n.fixedMax) { return String(Number(v.toPrecision(n.significant))); }
    return v.toExponential(n.significant - 1).replace(/\.?0+e/, "e").replace("e+", "e");
  }

  function decodeF4(spec) {
    if (!spec || typeof spec.bdata !== "string") { return new Float32Array(0); }
    var bin = atob(spec.bdata), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return new Float32Array(bytes.buffer);
  }

  function isF4(value) { return value && typeof value === "object" && value.dtype === "f4" && typeof value.bdata === "string"; }

  // A copy of a payload with every typed-array spec decoded (once per payload object).
  var decoded = new WeakMap();
  function decodeDeep(value) {
    if (isF4(value)) { return decodeF4(value); }
    if (Array.isArray(value)) { return value.map(decodeDeep); }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (k) { out[k] = decodeDeep(value[k]); });
      return out;
    }
    return value;
  }
  function decodeRun(raw) {
    if (!raw || typeof raw !== "object") { return null; }
    var hit = decoded.get(raw);
    if (!hit) { hit = decodeDeep(raw); hit.raw = raw; decoded.set(raw, hit); }
    return hit;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  // Dash writes dict ids with sorted keys, as JSON: the DOM id of a pattern-matching id.
  function domId(id) {
    if (typeof id === "string") { return id; }
    var out = {};
    Object.keys(id).sort().forEach(function (k) { out[k] = id[k]; });
    return JSON.stringify(out);
  }

  function graphDiv(id) {
    var el = document.getElementById(id);
    return el ? el.querySelector(".js-plotly-plot") : null;
  }

  function visibleCount(n, frame) { return Math.max(1, Math.min(frame + 1, n)); }

  // ---------------------------------------------------------------- canvases
  // Plotly draws what changes only with the surface (contour, minima, axes); runs, charts'
  // curves and markers are drawn on a canvas laid over each graph, so a slider or a frame
  // never makes Plotly recompute the contour.
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

  // The axes of a figure, listed once per Plotly layout object (Plotly makes a new one on
  // each redraw): a frame then reads only their ranges and pixel extents.
  var axisKeys = new WeakMap();
  function axesSignature(gd, extra) {
    var fl = gd._fullLayout, keys = axisKeys.get(fl);
    if (!keys) {
      keys = Object.keys(fl).filter(function (k) { return /^[xy]axis\d*$/.test(k); });
      axisKeys.set(fl, keys);
    }
    var parts = [gd.clientWidth, gd.clientHeight, ctl.pathsVersion, extra || ""];
    for (var i = 0; i < keys.length; i++) {
      var ax = fl[keys[i]];
      if (ax && ax.range) { parts.push(keys[i], ax.range[0], ax.range[1], ax._offset, ax._length); }
    }
    return parts.join("|");
  }

  // What does not move during playback (whole paths, chart curves) is a layer: drawn by
  // build(ctx, layer) once per change of runs or axes, then copied by each frame before
  // the moving part. A layer that changed is drawn straight onto the frame's canvas and
  // kept as a picture only when a later frame reuses it: while a slider is dragged every
  // frame has new paths, and a copy would only cost time.
  function paintLayer(ctx, gd, name, build, extra) {
    var signature = axesSignature(gd, extra), layers = gd._descentLayers || (gd._descentLayers = {});
    var layer = layers[name];
    if (layer && layer.signature === signature) {
      if (!layer.canvas) {
        var dpr = window.devicePixelRatio || 1, canvas = layer.spare || document.createElement("canvas");
        canvas.width = Math.round(layer.w * dpr); canvas.height = Math.round(layer.h * dpr);
        var lctx = canvas.getContext("2d");
        lctx.setTransform(dpr, 0, 0, dpr, 0, 0);
        lctx.clearRect(0, 0, layer.w, layer.h);
        build(lctx, {signature: signature, w: layer.w, h: layer.h, pix: []});
        layer.canvas = canvas;
      }
      ctx.drawImage(layer.canvas, 0, 0, layer.w, layer.h);
      return layer;
    }
    layer = {signature: signature, canvas: null, spare: layer && (layer.canvas || layer.spare),
             w: gd.clientWidth, h: gd.clientHeight, pix: []};
    ctx.save();
    build(ctx, layer);
    ctx.restore();
    layers[name] = layer;
    return layer;
  }

  function axisPair(gd, xname, yname) {
    var full = gd._fullLayout;
    if (!full) { return null; }
    var xa = full[xname === "x" ? "xaxis" : "xaxis" + xname.slice(1)];
    var ya = full[yname === "y" ? "yaxis" : "yaxis" + yname.slice(1)];
    return xa && ya && xa.c2p && ya.c2p ? [xa, ya] : null;
  }

  function axisNames(i) { return i === 0 ? ["x", "y"] : ["x" + (i + 1), "y" + (i + 1)]; }

  function clipTo(ctx, xa, ya) {
    ctx.beginPath();
    ctx.rect(xa._offset, ya._offset, xa._length, ya._length);
    ctx.clip();
  }

  // Plotly's linear map from an axis' "linearised" value (log10 on log axes) to pixels is
  // l2p(l) = _m * l + _b; inlined here, it is ~20x faster than c2p per point.
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

  // Points from..k-1 as one path, broken where one cannot be drawn. A point closer than
  // half a pixel to the last one drawn is left out (as Plotly's line.simplify does): a
  // run crawling along a valley takes hundreds of steps within a pixel, and each vertex
  // costs the rasteriser a join; the last point is always drawn.
  var SIMPLIFY_PX2 = 0.25;
  function polyline(ctx, p, k, from) {
    ctx.beginPath();
    var open = false, lx = 0, ly = 0;
    for (var j = from || 0; j < k; j++) {
      var X = p.X[j], Y = p.Y[j];
      if (!isFinite(X) || !isFinite(Y)) { open = false; continue; }
      if (!open) { ctx.moveTo(X, Y); open = true; lx = X; ly = Y; continue; }
      var dx = X - lx, dy = Y - ly;
      if (dx * dx + dy * dy < SIMPLIFY_PX2 && j !== k - 1) { continue; }
      ctx.lineTo(X, Y); lx = X; ly = Y;
    }
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

  // --------------------------------------------------------------- tooltips
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
  function hideTip(gd) { if (gd && gd._descentTip) { gd._descentTip.style.display = "none"; } }
  function showTip(gd, html, px, py) {
    var tip = tipFor(gd);
    tip.innerHTML = html;
    tip.style.display = "block";
    var left = px + 14, top = py + 12;
    if (left + tip.offsetWidth > gd.clientWidth) { left = px - tip.offsetWidth - 14; }
    if (top + tip.offsetHeight > gd.clientHeight) { top = py - tip.offsetHeight - 12; }
    tip.style.left = Math.max(0, left) + "px"; tip.style.top = Math.max(0, top) + "px";
  }

  // ------------------------------------------------------------ step charts
  // One function draws every chart over steps (loss, distance, each instrument's): the
  // series of each run as a cached layer, then the frame line and each run's marker.
  // series(run) -> [[values, dash], ...]; twin runs are drawn dashed and paler.
  function drawStepChart(gd, name, series, twin) {
    var axes = axisPair(gd, "x", "y");
    if (!axes) { return null; }
    var xa = axes[0], ya = axes[1], runs = ctl.runs, twins = twin && ctl.twin ? ctl.twin : [];
    var ctx = overlayCanvas(gd);
    var layer = paintLayer(ctx, gd, name, function (lctx, lay) {
      lctx.save(); clipTo(lctx, xa, ya); lctx.lineJoin = "round";
      var each = function (run, faint) {
        var pix = [];
        series(run).forEach(function (s) {
          if (!s[0] || !s[0].length) { return; }
          var p = pixels(xa, ya, null, s[0], s[0].length);
          pix.push(p);
          polyline(lctx, p, s[0].length);
          lctx.setLineDash(faint ? [2, 3] : s[1]); lctx.lineWidth = faint ? 1.3 : 1.7;
          lctx.globalAlpha = faint ? 0.75 : 1; lctx.strokeStyle = run.color; lctx.stroke();
        });
        lctx.setLineDash([]); lctx.globalAlpha = 1;
        return pix;
      };
      runs.forEach(function (run) { lay.pix.push(each(run, false)); });
      twins.forEach(function (run) { each(run, true); });
      lctx.restore();
    });
    ctx.save(); clipTo(ctx, xa, ya);
    var fx = xa._offset + xa.c2p(ctl.frame);
    ctx.beginPath(); ctx.moveTo(fx, ya._offset); ctx.lineTo(fx, ya._offset + ya._length);
    ctx.setLineDash([3, 3]); ctx.lineWidth = 1; ctx.strokeStyle = ctl.theme.muted; ctx.stroke(); ctx.setLineDash([]);
    runs.forEach(function (run, i) {
      (layer.pix[i] || []).forEach(function (p) {
        var j = Math.min(ctl.frame, p.X.length - 1);
        if (j >= 0 && isFinite(p.Y[j]) && isFinite(p.X[j])) { marker(ctx, run.symbol, p.X[j], p.Y[j], 4.5, run.color); }
      });
    });
    ctx.restore();
    return layer;
  }

  // The range of a chart's value axis over the runs' series: log decades or linear.
  function seriesRange(series, log, twin) {
    var lo = Infinity, hi = -Infinity, all = ctl.runs.concat(twin && ctl.twin ? ctl.twin : []);
    all.forEach(function (run) {
      series(run).forEach(function (s) {
        var v = s[0];
        if (!v) { return; }
        for (var j = 0; j < v.length; j++) {
          if (!isFinite(v[j]) || (log && v[j] <= 0)) { continue; }
          if (v[j] < lo) { lo = v[j]; }
          if (v[j] > hi) { hi = v[j]; }
        }
      });
    });
    if (!(hi >= lo)) { return null; }
    if (log) {
      var a = Math.log10(lo), b = Math.log10(hi), pad = Math.max(0.06 * (b - a), 0.12);
      return [a - pad, b + pad];
    }
    var span = hi - lo || Math.abs(hi) || 1;
    return [lo - 0.05 * span, hi + 0.05 * span];
  }

  // The chart's figure: its layout (from the server) with ranges set from the data.
  function stepChartFigure(layout, range, log) {
    var out = Object.assign({}, layout);
    out.xaxis = Object.assign({}, layout.xaxis, {range: [0, Math.max(1, ctl.maxFrame)], autorange: false});
    out.yaxis = Object.assign({}, layout.yaxis, {autorange: false, type: log ? "log" : "linear"});
    if (range) { out.yaxis.range = range; }
    if (log && range) {
      // whole decades when the curves span several; 1, 2, 5 between them when they span about one
      var decades = range[1] - range[0];
      out.yaxis.dtick = decades < 1.6 ? "D2" : Math.max(1, Math.ceil(decades / 5));
    }
    return {data: [], layout: out};
  }

  // ------------------------------------------------------------- pointer
  // Plotly reports clicks on a contour at the nearest grid node; we want the pointer, so
  // convert its position with the axes' own pixel->data maps.
  function pointerToData(gd, clientX, clientY) {
    var full = gd._fullLayout;
    if (!full || !full._plots) { return null; }
    var rect = gd.getBoundingClientRect(), px = clientX - rect.left, py = clientY - rect.top;
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

  // Runs fn after the next frame is painted (a task queued from its animation frame
  // callback): work that would otherwise hold that frame back.
  function afterPaint(fn) {
    window.requestAnimationFrame(function () { window.setTimeout(fn, 0); });
  }

  function setProps(id, props) {
    if (window.dash_clientside && window.dash_clientside.set_props) { window.dash_clientside.set_props(id, props); }
  }

  // -------------------------------------------------------- accessible names
  // Dash 4's Slider, RangeSlider, RadioItems, Checklist and Dropdown accept no aria-*
  // property. The page puts each in a box with a data-name (ui/core/widgets.py, named())
  // and this gives the control that name whenever Dash renders or re-renders it:
  //  - slider thumbs: aria-label (a range's two thumbs "... from" and "... to");
  //  - option lists: Dash marks them up as a listbox of <label role=option> around native
  //    radios or checkboxes, which hides the inputs' own roles and states; the list becomes
  //    a named radiogroup (or group) and the labels plain labels of their inputs;
  //  - dropdowns: the button reads "name: value" and is the tab stop itself (Dash puts an
  //    aria-hidden input in the tab order in front of it, which hands focus on).
  var NAMED = "[role=slider], .dash-options-list, .dash-dropdown, .dash-dropdown-focus-target, [data-name]";
  // Written only when it changed: a write, even of the same value, is a mutation (the
  // observers here see it) and a text write costs the page a layout and a paint.
  function setAttr(el, key, value) { if (el.getAttribute(key) !== value) { el.setAttribute(key, value); } }
  function setText(el, text) { if (el.textContent !== text) { el.textContent = text; } }
  function boxName(el) {
    var box = el.closest("[data-name]");
    return box ? box.getAttribute("data-name") : null;
  }
  // An element's text less what CSS does not display (an option's description in the value)
  function shownText(el) {
    if (el.nodeType === 3) { return el.nodeValue; }
    if (el.nodeType !== 1 || window.getComputedStyle(el).display === "none") { return ""; }
    return Array.prototype.map.call(el.childNodes, shownText).join("");
  }
  function nameControls(root) {
    root.querySelectorAll("[data-name] [role=slider]").forEach(function (thumb) {
      var name = boxName(thumb), range = thumb.closest(".dash-slider-root");
      var thumbs = range ? range.querySelectorAll("[role=slider]") : [thumb];
      if (thumbs.length === 2) { name += thumbs[0] === thumb ? " from" : " to"; }
      if (name) { setAttr(thumb, "aria-label", name); }
    });
    root.querySelectorAll("[data-name] .dash-options-list").forEach(function (list) {
      setAttr(list, "role", list.classList.contains("dash-radioitems") ? "radiogroup" : "group");
      setAttr(list, "aria-label", boxName(list));
      list.querySelectorAll("label[role=option], label[aria-selected]").forEach(function (label) {
        label.removeAttribute("role");
        label.removeAttribute("aria-selected");
      });
    });
    root.querySelectorAll("[data-name] button.dash-dropdown").forEach(function (button) {
      var value = button.querySelector(".dash-dropdown-value");
      setAttr(button, "aria-label", boxName(button) + ": " + (value ? shownText(value).replace(/\s+/g, " ").trim() : ""));
      button.removeAttribute("aria-labelledby");
      if (!button.disabled) { setAttr(button, "tabindex", "0"); }
      var trap = button.previousElementSibling;
      if (trap && trap.classList.contains("dash-dropdown-focus-target")) { setAttr(trap, "tabindex", "-1"); }
    });
  }
  function touchesControls(records) {
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (r.type === "attributes") { return true; }
      if (r.target.closest && r.target.closest(".dash-dropdown")) { return true; }  // a new value shown
      for (var j = 0; j < r.addedNodes.length; j++) {
        var n = r.addedNodes[j];
        if (n.nodeType === 1 && (n.matches(NAMED) || n.querySelector(NAMED))) { return true; }
      }
    }
    return false;
  }
  var naming = false;
  function watchControls() {
    nameControls(document);
    new MutationObserver(function (records) {
      if (naming || !touchesControls(records)) { return; }
      naming = true;  // once per task, whatever the number of changes
      Promise.resolve().then(function () { naming = false; nameControls(document); });
    }).observe(document.body, {childList: true, subtree: true, attributes: true,
                               attributeFilter: ["role", "aria-selected", "aria-labelledby", "tabindex"]});
  }
  if (document.body) { watchControls(); } else { document.addEventListener("DOMContentLoaded", watchControls); }
  ctl.nameControls = nameControls;

  // ------------------------------------------------------------ first screen
  // The workspace (controls and stage) is laid out from the first paint but kept invisible
  // (00_core.css) until the first frame is drawn: by then the lesson banner, the legend and
  // the runs' cards are in place, so nothing on the first screen moves once it is seen.
  function markReady() {
    if (ctl.ready || !ctl.paths || ctl.adopting) { return; }
    ctl.ready = true;
    document.documentElement.classList.add("lab-ready");
    var shell = document.querySelector(".page-shell");  // the HTML's first paint (ui/page.py)
    if (shell) { shell.remove(); }
  }
  ctl.hooks.frame.push(markReady);
  // When the first runs arrive (the race's render, after the reply with the lesson banner),
  // a frame is drawn two animation frames later (once Dash has applied that reply and the
  // instruments theirs) without waiting for Plotly to finish the contour, which only fills
  // its fixed box. Tests wait for ctl.ready (the workspace is hidden before it).
  ctl.hooks.runs.push(function () {
    if (ctl.ready) { return; }
    window.requestAnimationFrame(function () { window.requestAnimationFrame(function () {
      if (!ctl.ready && ctl.drawFrame) { ctl.drawFrame(); }
    }); });
  });

  ctl.util = {
    fmt: fmt, decodeF4: decodeF4, decodeRun: decodeRun, escapeHtml: escapeHtml, domId: domId, graphDiv: graphDiv,
    visibleCount: visibleCount, overlayCanvas: overlayCanvas, paintLayer: paintLayer, axisPair: axisPair,
    axisNames: axisNames, clipTo: clipTo, mapper: mapper, pixels: pixels, polyline: polyline, marker: marker,
    cross: cross, showTip: showTip, hideTip: hideTip, drawStepChart: drawStepChart, seriesRange: seriesRange,
    stepChartFigure: stepChartFigure, pointerToData: pointerToData, setProps: setProps, afterPaint: afterPaint,
    setAttr: setAttr, setText: setText,
  };
})();

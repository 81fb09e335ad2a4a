/*
 * Descent Lab — the instruments (issue 4), browser side.
 *
 * Loaded after assets/descent.js (assets load in name order) and driven by its frame:
 * every function here runs from descent.js' hooks (ctl.hooks), so the arrows, the
 * chart markers, the live readout, the lesson's key number and the 3D view follow
 * play, step, scrub and the keyboard with no server call.
 *
 *   arrows        at the current frame, on the main graph's canvas (mainOver hook):
 *                 -g (direction only, fixed length), the rescaled direction
 *                 -lr_eff*g, the momentum's move and the step taken; the last three
 *                 share one scale per run (the longest is 12% of the plot);
 *   fan           the K-seed cloud (cached layer, faint) under the runs, with the
 *                 mean path travelled so far (dashed) and the seeds' heads;
 *   charts        angle to -g (with the 90 degree line), effective lr per coordinate
 *                 (log; solid x, dashed y), lr*lambda_max (with the line at 2): Plotly
 *                 draws the axes from ui/instruments.py's layouts, the curves are
 *                 drawn on canvases like the loss chart's;
 *   readout       per-frame numbers of every run (the server renders the update rules
 *                 with the numbers of the paused step, as MathJax);
 *   3D view       the contour's grid as a Plotly surface with the paths on it
 *                 (heights interpolated from the same grid), restyled at most ~15
 *                 times a second while playing.
 *
 * The per-step arrays come with each run in paths-store (run.inst, run.fan), only
 * for the instruments that are on. window.descentLab.instruments exposes the state.
 */
(function () {
  "use strict";

  var ctl = window.descentLab;
  if (!ctl || !ctl.hooks || !ctl.util) { return; }
  var U = ctl.util;
  var IDS = {angle: "angle-graph", lr: "lr-graph", sharpness: "sharpness-graph", view3d: "view3d-graph",
             live: "readout-live", lessonLive: "lesson-live", legend: "arrow-legend"};
  var CHARTS = ["angle", "lr", "sharpness"];
  var ARROW_FRACTION = 0.12;
  var inst = {show: {}, paths: null, runs: [], version: 0, ranges: {}, chartKeys: {}, liveAt: 0,
              view3dAt: 0, view3dTimer: null, restyles: 0, drawn: 0};
  ctl.instruments = inst;

  // ------------------------------------------------------------------ data
  // Decoded once per paths object (descent.js and this file may see a new paths-store
  // value in either order, so keep each decoding with its object).
  var decoded = new WeakMap();
  function decode(paths) {
    if (!paths) { return []; }
    var hit = decoded.get(paths);
    if (hit) { return hit; }
    inst.version += 1;
    var list = (paths.runs || []).map(function (run) {
      var a = run.inst || {}, out = {index: run.index, n: run.n, color: run.color, label: run.label,
                                     symbol: run.symbol, optimizer: run.optimizer, state: {}};
      ["gx", "gy", "ex", "ey", "vx", "vy", "angle", "sharp"].forEach(function (k) {
        out[k] = a[k] ? U.decodeF4(a[k]) : null;
      });
      Object.keys(a.state || {}).forEach(function (name) {
        out.state[name] = {x: U.decodeF4(a.state[name].x), y: U.decodeF4(a.state[name].y)};
      });
      out.x = U.decodeF4(run.x); out.y = U.decodeF4(run.y);
      if (run.fan) {
        var f = run.fan;
        out.fan = {k: f.k, stride: f.stride, m: f.m, x: U.decodeF4(f.x), y: U.decodeF4(f.y),
                   mx: U.decodeF4(f.mx), my: U.decodeF4(f.my), diverged: f.diverged};
      }
      return out;
    });
    list.version = inst.version;
    decoded.set(paths, list);
    inst.paths = paths; inst.runs = list;
    return list;
  }
  function runs() { return decode(ctl.paths); }

  // The update shown at the current frame: index h of the per-update arrays (the
  // update applied at the head), or -1 when the head is the last point.
  function updateIndex(run) {
    var h = U.visibleCount(run.n, ctl.frame) - 1;
    return h < run.n - 1 ? h : -1;
  }
  inst.updateIndex = updateIndex;

  // Per-frame numbers of a run (the same as ui/instruments.py's frame_numbers).
  function numbers(run, h) {
    if (h < 0 || h >= run.n - 1) { return null; }
    var out = {t: h + 1, step: [run.x[h + 1] - run.x[h], run.y[h + 1] - run.y[h]]};
    if (run.gx) { out.g = [run.gx[h], run.gy[h]]; }
    if (run.ex) { out.e = [run.ex[h], run.ey[h]]; }
    if (run.gx && run.ex) { out.rescaled = [-run.ex[h] * run.gx[h], -run.ey[h] * run.gy[h]]; }
    if (run.vx) { out.velocity = [run.vx[h], run.vy[h]]; }
    if (run.angle) { out.angle = run.angle[h]; }
    if (run.sharp) { out.sharp = run.sharp[h]; }
    out.state = {};
    Object.keys(run.state).forEach(function (name) { out.state[name] = [run.state[name].x[h], run.state[name].y[h]]; });
    return out;
  }
  inst.numbers = function (i) { var r = runs()[i]; return r ? numbers(r, updateIndex(r)) : null; };

  function pair(v) { return "(" + U.fmt(v[0]) + ", " + U.fmt(v[1]) + ")"; }
  function deg(v) { return isFinite(v) ? v.toFixed(1) + "°" : "—"; }

  // --------------------------------------------------------------- arrows
  var ARROW_STYLE = {
    grad: {color: null, width: 1.8, dash: []},
    rescaled: {width: 2, dash: [6, 4]},
    velocity: {width: 2.4, dash: [1.5, 4]},
    step: {width: 2.8, dash: []},
  };

  function arrow(ctx, x0, y0, x1, y1, color, width, dash) {
    var dx = x1 - x0, dy = y1 - y0, len = Math.sqrt(dx * dx + dy * dy);
    if (!(len > 0.5) || !isFinite(len)) { return; }
    var ux = dx / len, uy = dy / len, head = Math.min(9, 0.35 * len + 4);
    var bx = x1 - ux * head * 0.9, by = y1 - uy * head * 0.9;
    ctx.lineCap = "round";
    [["rgba(255,255,255,0.85)", width + 2.5], [color, width]].forEach(function (s) {
      ctx.beginPath(); ctx.setLineDash(dash); ctx.moveTo(x0, y0); ctx.lineTo(bx, by);
      ctx.strokeStyle = s[0]; ctx.lineWidth = s[1]; ctx.stroke();
    });
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - ux * head - uy * head * 0.45, y1 - uy * head + ux * head * 0.45);
    ctx.lineTo(x1 - ux * head + uy * head * 0.45, y1 - uy * head - ux * head * 0.45);
    ctx.closePath();
    ctx.lineWidth = 1.2; ctx.strokeStyle = "rgba(255,255,255,0.9)"; ctx.stroke();
    ctx.fillStyle = color; ctx.fill();
  }

  // The arrows of run i at the current frame, in pixels from the head (for tests too).
  function arrowVectors(run, xa, ya) {
    var on = inst.show, h = updateIndex(run);
    if (h < 0) { return null; }
    var L = ARROW_FRACTION * Math.min(xa._length, ya._length), out = {};
    var mx = xa._m, my = ya._m, shared = [], longest = 0;
    if (on.step) { shared.push(["step", run.x[h + 1] - run.x[h], run.y[h + 1] - run.y[h]]); }
    if (on.rescaled && run.ex && run.gx) { shared.push(["rescaled", -run.ex[h] * run.gx[h], -run.ey[h] * run.gy[h]]); }
    if (on.velocity && run.vx) { shared.push(["velocity", run.vx[h], run.vy[h]]); }
    shared.forEach(function (v) {
      v[1] *= mx; v[2] *= my;
      var len = Math.sqrt(v[1] * v[1] + v[2] * v[2]);
      if (isFinite(len) && len > longest) { longest = len; }
    });
    var scale = longest > 0 ? L / longest : 0;
    shared.forEach(function (v) { out[v[0]] = [v[1] * scale, v[2] * scale]; });
    if (on.grad && run.gx) {
      var gx = -run.gx[h] * mx, gy = -run.gy[h] * my, g = Math.sqrt(gx * gx + gy * gy);
      if (g > 0 && isFinite(g)) { out.grad = [gx / g * L, gy / g * L]; }
    }
    return out;
  }
  inst.arrowVectors = function (i) {
    var gd = U.graphDiv("main-graph"), r = runs()[i];
    if (!gd || !r) { return null; }
    var names = U.runAxes(i), axes = U.axisPair(gd, names[0], names[1]);
    return axes ? arrowVectors(r, axes[0], axes[1]) : null;
  };

  function drawArrows(gd, ctx) {
    var on = inst.show;
    if (!(on.grad || on.rescaled || on.velocity || on.step) || !ctl.paths) { return; }
    runs().forEach(function (run, i) {
      var names = U.runAxes(i), axes = U.axisPair(gd, names[0], names[1]);
      if (!axes) { return; }
      var xa = axes[0], ya = axes[1], vectors = arrowVectors(run, xa, ya);
      if (!vectors) { return; }
      var h = updateIndex(run), fx = U.mapper(xa), fy = U.mapper(ya), px = fx(run.x[h]), py = fy(run.y[h]);
      ctx.save(); U.clipTo(ctx, xa, ya);
      ["step", "velocity", "rescaled", "grad"].forEach(function (kind) {
        var v = vectors[kind];
        if (!v) { return; }
        var style = ARROW_STYLE[kind];
        arrow(ctx, px, py, px + v[0], py + v[1], kind === "grad" ? "#1f2933" : run.color, style.width, style.dash);
      });
      ctx.restore();
    });
    inst.drawn += 1;
  }

  // ------------------------------------------------------------------ fan
  function fanSignature(gd, list) {
    var fl = gd._fullLayout, parts = [gd.clientWidth, gd.clientHeight, list.version, ctl.view];
    Object.keys(fl).forEach(function (k) {
      if (/^[xy]axis\d*$/.test(k) && fl[k] && fl[k].range) { parts.push(k, fl[k].range.join(","), fl[k]._offset, fl[k]._length); }
    });
    return parts.join("|");
  }

  function fanLayer(gd, list) {
    var signature = fanSignature(gd, list), layer = gd._fanLayer;
    if (layer && layer.signature === signature) { return layer; }
    var dpr = window.devicePixelRatio || 1, w = gd.clientWidth, h = gd.clientHeight;
    var canvas = (layer && layer.canvas) || document.createElement("canvas");
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0); ctx.clearRect(0, 0, w, h);
    ctx.lineJoin = "round"; ctx.lineWidth = 1;
    list.forEach(function (run, i) {
      if (!run.fan) { return; }
      var names = U.runAxes(i), axes = U.axisPair(gd, names[0], names[1]);
      if (!axes) { return; }
      var f = run.fan, fx = U.mapper(axes[0]), fy = U.mapper(axes[1]);
      ctx.save(); U.clipTo(ctx, axes[0], axes[1]);
      ctx.globalAlpha = Math.max(0.08, Math.min(0.3, 2.5 / f.k)); ctx.strokeStyle = run.color;
      for (var b = 0; b < f.k; b++) {
        ctx.beginPath();
        var open = false;
        for (var j = 0; j < f.m; j++) {
          var X = fx(f.x[b * f.m + j]), Y = fy(f.y[b * f.m + j]);
          if (!isFinite(X) || !isFinite(Y)) { open = false; continue; }
          if (open) { ctx.lineTo(X, Y); } else { ctx.moveTo(X, Y); open = true; }
        }
        ctx.stroke();
      }
      ctx.restore();
    });
    layer = {signature: signature, canvas: canvas, w: w, h: h};
    gd._fanLayer = layer;
    return layer;
  }

  function drawFan(gd, ctx) {
    if (!ctl.paths) { return; }
    var list = runs();
    if (!list.some(function (r) { return r.fan; })) { return; }
    var layer = fanLayer(gd, list);
    ctx.drawImage(layer.canvas, 0, 0, layer.w, layer.h);
    list.forEach(function (run, i) {
      if (!run.fan) { return; }
      var names = U.runAxes(i), axes = U.axisPair(gd, names[0], names[1]);
      if (!axes) { return; }
      var f = run.fan, fx = U.mapper(axes[0]), fy = U.mapper(axes[1]);
      var k = Math.min(ctl.frame, f.mx.length - 1);
      ctx.save(); U.clipTo(ctx, axes[0], axes[1]);
      // each seed's position now (its last sampled point at or before the frame)
      var j = Math.min(f.m - 1, Math.floor(ctl.frame / f.stride));
      ctx.fillStyle = run.color; ctx.globalAlpha = 0.55;
      for (var b = 0; b < f.k; b++) {
        var X = fx(f.x[b * f.m + j]), Y = fy(f.y[b * f.m + j]);
        if (isFinite(X) && isFinite(Y)) { ctx.beginPath(); ctx.arc(X, Y, 2.2, 0, 2 * Math.PI); ctx.fill(); }
      }
      ctx.globalAlpha = 1;
      // the mean path so far, dashed over a white halo
      var p = U.pixels(axes[0], axes[1], f.mx, f.my, k + 1);
      [["rgba(255,255,255,0.9)", 4.2, []], [run.color, 2.2, [7, 4]]].forEach(function (s) {
        U.polyline(ctx, p, k + 1); ctx.setLineDash(s[2]); ctx.lineWidth = s[1]; ctx.strokeStyle = s[0]; ctx.stroke();
      });
      ctx.setLineDash([]);
      if (isFinite(p.X[k]) && isFinite(p.Y[k])) {
        ctx.beginPath(); ctx.arc(p.X[k], p.Y[k], 5, 0, 2 * Math.PI);
        ctx.lineWidth = 2.4; ctx.strokeStyle = run.color; ctx.fillStyle = "#ffffff"; ctx.fill(); ctx.stroke();
      }
      ctx.restore();
    });
  }

  // --------------------------------------------------------------- charts
  function chartSeries(run, what) {
    if (what === "angle") { return run.angle ? [[run.angle, []]] : []; }
    if (what === "sharpness") { return run.sharp ? [[run.sharp, []]] : []; }
    return run.ex ? [[run.ex, []], [run.ey, [5, 4]]] : [];
  }

  function valueRange(what, list) {
    if (what === "angle") { return [0, 180]; }
    var lo = Infinity, hi = -Infinity, log = what === "lr";
    list.forEach(function (run) {
      chartSeries(run, what).forEach(function (s) {
        var v = s[0];
        for (var j = 0; j < v.length; j++) {
          if (!isFinite(v[j]) || (log && v[j] <= 0)) { continue; }
          if (v[j] < lo) { lo = v[j]; }
          if (v[j] > hi) { hi = v[j]; }
        }
      });
    });
    if (log) {
      if (!(hi >= lo)) { return [-4, 0]; }
      var a = Math.log10(lo), b = Math.log10(hi), pad = Math.max(0.08 * (b - a), 0.15);
      return [a - pad, b + pad];
    }
    // lr * lambda_max: always show 0 and the line at 2; a blow-up leaves through the top
    if (!(hi >= lo)) { lo = 0; hi = 2.5; }
    lo = Math.max(Math.min(lo, 0), -8); hi = Math.min(Math.max(hi, 2.5), 8);
    var span = hi - lo;
    return [lo - 0.04 * span, hi + 0.06 * span];
  }

  function chartFigure(what, layouts, list) {
    var base = layouts[what], layout = Object.assign({}, base);
    var last = list.reduce(function (m, r) { return Math.max(m, r.n - 1); }, 1);  // as descent.js' maxFrame
    layout.xaxis = Object.assign({}, base.xaxis, {range: [0, last], autorange: false});
    layout.yaxis = Object.assign({}, base.yaxis, {range: valueRange(what, list), autorange: false});
    if (what === "lr") { layout.yaxis.dtick = 1; }
    layout.hovermode = false;
    return {data: [], layout: layout};
  }

  function drawChart(what) {
    var gd = U.graphDiv(IDS[what]);
    if (!gd || !gd._fullLayout || !inst.show[what] || !gd.clientWidth) { return; }
    var axes = U.axisPair(gd, "x", "y");
    if (!axes) { return; }
    var xa = axes[0], ya = axes[1], list = runs();
    var layer = U.staticLayer(gd, function (lctx, lay) {
      lctx.save(); U.clipTo(lctx, xa, ya); lctx.lineJoin = "round";
      list.forEach(function (run) {
        var series = chartSeries(run, what), pix = [];
        series.forEach(function (s) {
          var p = U.pixels(xa, ya, null, s[0], s[0].length);
          pix.push(p);
          U.polyline(lctx, p, s[0].length);
          lctx.setLineDash(s[1]); lctx.lineWidth = 1.7; lctx.strokeStyle = run.color; lctx.stroke();
        });
        lctx.setLineDash([]);
        lay.pix.push(pix);
      });
      lctx.restore();
    });
    var ctx = U.overlayCanvas(gd);
    ctx.drawImage(layer.canvas, 0, 0, layer.w, layer.h);
    ctx.save(); U.clipTo(ctx, xa, ya);
    var fxp = xa._offset + xa.c2p(ctl.frame);
    ctx.beginPath(); ctx.moveTo(fxp, ya._offset); ctx.lineTo(fxp, ya._offset + ya._length);
    ctx.setLineDash([3, 3]); ctx.lineWidth = 1; ctx.strokeStyle = "#52606d"; ctx.stroke(); ctx.setLineDash([]);
    list.forEach(function (run, i) {
      var h = updateIndex(run);
      (layer.pix[i] || []).forEach(function (p) {
        var j = h < 0 ? p.X.length - 1 : h;
        if (j >= 0 && isFinite(p.Y[j]) && isFinite(p.X[j])) { U.marker(ctx, U.symbolOf(run, i), p.X[j], p.Y[j], 4.5, run.color); }
      });
    });
    ctx.restore();
  }

  function hookChart(what) {
    var gd = U.graphDiv(IDS[what]);
    if (!gd || !gd.on || gd._instrumentHooked) { return !!(gd && gd._instrumentHooked); }
    gd._instrumentHooked = true;
    gd.on("plotly_afterplot", function () { window.requestAnimationFrame(function () { drawChart(what); }); });
    gd.addEventListener("pointermove", function (event) { hoverChart(gd, what, event); });
    gd.addEventListener("pointerleave", function () { U.hideTip(gd); });
    return true;
  }

  // Hook each instrument graph once Plotly has drawn it (retrying while it loads):
  // a new figure or a zoom redraws the curves; a new 3D figure gets the frame.
  function hookAll(attempt) {
    var pending = false;
    CHARTS.forEach(function (what) { if (!hookChart(what)) { pending = true; } });
    var g3 = U.graphDiv(IDS.view3d);
    if (g3 && g3.on) {
      if (!g3._instrumentHooked) {
        g3._instrumentHooked = true;
        g3.on("plotly_afterplot", function () { if (inst.pending3d) { inst.pending3d = false; update3d(true); } });
      }
    } else { pending = true; }
    if (pending && (attempt || 0) < 100) { window.setTimeout(function () { hookAll((attempt || 0) + 1); }, 50); }
  }

  function hoverChart(gd, what, event) {
    var axes = U.axisPair(gd, "x", "y");
    if (!axes || !ctl.paths) { return; }
    var xa = axes[0], ya = axes[1], rect = gd.getBoundingClientRect();
    var px = event.clientX - rect.left, py = event.clientY - rect.top;
    if (px < xa._offset || px > xa._offset + xa._length || py < ya._offset || py > ya._offset + ya._length) {
      U.hideTip(gd); return;
    }
    var step = Math.max(0, Math.round(xa.p2c(px - xa._offset))), rows = [];
    runs().forEach(function (run) {
      var series = chartSeries(run, what);
      if (!series.length) { return; }
      var j = Math.min(step, series[0][0].length - 1);
      if (j < 0) { return; }
      var text = what === "angle" ? deg(series[0][0][j]) :
        what === "lr" ? "x " + U.fmt(series[0][0][j]) + ", y " + U.fmt(series[1][0][j]) : U.fmt(series[0][0][j]);
      rows.push('<span style="color:' + U.escapeHtml(run.color) + '">●</span> ' + U.escapeHtml(run.label) + ": " + text);
    });
    if (rows.length) { U.showTip(gd, "step " + step + "<br>" + rows.join("<br>"), px, py); } else { U.hideTip(gd); }
  }

  // ------------------------------------------------------------ live text
  var STATE_NAMES = {m: "m", v: "v", buf: "b", sum: "s", u: "u", v_max: "v_max", g_avg: "ḡ", prev: "g_prev",
                     step_size: "η_t", mu_product: "Πμ"};

  function liveReadout(force) {
    var box = document.getElementById(IDS.live);
    if (!box || !inst.show.readout) { return; }
    var now = performance.now();
    if (!force && ctl.playing && now - inst.liveAt < 120) { return; }
    inst.liveAt = now;
    var rows = runs().map(function (run, i) {
      var nb = numbers(run, updateIndex(run)), head = '<span class="readout-run" style="--run-color:' +
        U.escapeHtml(run.color) + '">' + U.escapeHtml(run.label) + "</span>";
      if (!nb) { return "<tr><th>" + head + "</th><td colspan=6>no update after the last point</td></tr>"; }
      var state = Object.keys(nb.state).filter(function (n) { return n !== "mu_product"; }).map(function (n) {
        return (STATE_NAMES[n] || n) + " " + pair(nb.state[n]);
      }).join("<br>");
      return "<tr><th>" + head + "<br><small>update t=" + nb.t + "</small></th><td>" + (nb.g ? pair(nb.g) : "—") +
        "</td><td>" + (state || "—") + "</td><td>" + (nb.e ? pair(nb.e) : "—") + "</td><td>" + pair(nb.step) +
        "</td><td>" + deg(nb.angle) + "</td><td>" + (nb.sharp !== undefined ? U.fmt(nb.sharp) : "—") + "</td></tr>";
    });
    box.innerHTML = '<table class="readout-table"><thead><tr><th>run · step ' + ctl.frame + "</th><th>g</th>" +
      "<th>moments</th><th>η_eff (x, y)</th><th>Δθ</th><th>∠(Δθ, −g)</th><th>lr·λmax</th></tr></thead><tbody>" +
      rows.join("") + "</tbody></table>";
  }

  var METRICS = {
    angle: function (nb) { return nb.angle !== undefined ? "∠ " + deg(nb.angle) : null; },
    lr_ratio: function (nb) { return nb.e ? "η_eff,x / η_eff,y = " + U.fmt(nb.e[0] / nb.e[1]) : null; },
    lr_eff: function (nb) { return nb.e ? "η_eff = " + pair(nb.e) : null; },
    sharpness: function (nb) { return nb.sharp !== undefined ? "lr·λmax = " + U.fmt(nb.sharp) : null; },
    step: function (nb) { return "|Δθ| = " + U.fmt(Math.sqrt(nb.step[0] * nb.step[0] + nb.step[1] * nb.step[1])); },
  };

  function lessonLive(force) {
    var box = document.getElementById(IDS.lessonLive);
    if (!box) { return; }
    var metric = METRICS[box.getAttribute("data-metric")];
    if (!metric) { box.textContent = ""; return; }
    var now = performance.now();
    if (!force && ctl.playing && now - inst.lessonAt < 120) { return; }
    inst.lessonAt = now;
    var parts = runs().map(function (run) {
      var nb = numbers(run, updateIndex(run)), text = nb ? metric(nb) : "at its last point";
      return text === null ? null : '<span class="lesson-number" style="--run-color:' + U.escapeHtml(run.color) +
        '">' + U.escapeHtml(run.label) + ": <b>" + U.escapeHtml(text) + "</b></span>";
    }).filter(Boolean);
    box.innerHTML = parts.length ? "step " + ctl.frame + " · " + parts.join(" · ") : "";
  }

  function hoverExtra(run, j) {
    var mine = runs()[run.index];
    var nb = mine ? numbers(mine, j) : null;
    if (!nb || !(nb.g || nb.e)) { return ""; }
    var out = "";
    if (nb.g) { out += "<br>g = " + pair(nb.g); }
    Object.keys(nb.state).forEach(function (n) { if (n !== "mu_product") { out += "<br>" + (STATE_NAMES[n] || n) + " = " + pair(nb.state[n]); } });
    if (nb.e) { out += "<br>η_eff = " + pair(nb.e); }
    out += "<br>Δθ = " + pair(nb.step);
    if (nb.angle !== undefined) { out += "<br>∠(Δθ, −g) = " + deg(nb.angle); }
    return out;
  }

  // ------------------------------------------------------------------- 3D
  function contourGrid(surface) {
    if (inst.gridOf === surface) { return inst.grid; }
    var c = surface.contour, xs = U.decodeF4(c.x), ys = U.decodeF4(c.y), flat = U.decodeF4(c.z);
    inst.gridOf = surface;
    inst.grid = {xs: xs, ys: ys, z: flat, nx: xs.length, ny: ys.length};
    return inst.grid;
  }

  function height(grid, x, y) {  // bilinear, as ui/instruments.py's heights()
    var fx = (x - grid.xs[0]) / (grid.xs[grid.nx - 1] - grid.xs[0]) * (grid.nx - 1);
    var fy = (y - grid.ys[0]) / (grid.ys[grid.ny - 1] - grid.ys[0]) * (grid.ny - 1);
    if (!(fx >= 0 && fx <= grid.nx - 1 && fy >= 0 && fy <= grid.ny - 1)) { return NaN; }
    var i = Math.min(Math.floor(fx), grid.nx - 2), j = Math.min(Math.floor(fy), grid.ny - 2), ax = fx - i, ay = fy - j;
    var z = grid.z, n = grid.nx;
    var top = z[j * n + i] * (1 - ax) + z[j * n + i + 1] * ax, bottom = z[(j + 1) * n + i] * (1 - ax) + z[(j + 1) * n + i + 1] * ax;
    return top * (1 - ay) + bottom * ay;
  }

  function pathHeights(grid, run) {
    if (run._z && run._zGrid === grid) { return run._z; }
    var lo = Infinity, hi = -Infinity;
    for (var q = 0; q < grid.z.length; q++) { if (grid.z[q] < lo) { lo = grid.z[q]; } if (grid.z[q] > hi) { hi = grid.z[q]; } }
    var lift = 0.01 * ((hi - lo) || 1), out = new Array(run.n);
    for (var j = 0; j < run.n; j++) { var h = height(grid, run.x[j], run.y[j]); out[j] = isFinite(h) ? h + lift : null; }
    run._z = out; run._zGrid = grid;
    return out;
  }

  function figure3d(surface, list) {
    var grid = contourGrid(surface), stride = grid.nx > 100 ? 2 : 1, xs = [], ys = [], z = [];
    for (var i = 0; i < grid.nx; i += stride) { xs.push(grid.xs[i]); }
    for (var j = 0; j < grid.ny; j += stride) {
      ys.push(grid.ys[j]);
      var row = [];
      for (var i2 = 0; i2 < grid.nx; i2 += stride) { row.push(grid.z[j * grid.nx + i2]); }
      z.push(row);
    }
    var scale = (surface.layout && surface.layout.coloraxis && surface.layout.coloraxis.colorscale) || "Greys";
    var data = [{type: "surface", x: xs, y: ys, z: z, colorscale: scale, showscale: false, opacity: 0.95,
                 hoverinfo: "skip", name: "surface", contours: {z: {show: true, usecolormap: false, color: "rgba(60,70,80,0.25)", width: 1}}}];
    list.forEach(function (run) {
      var zs = pathHeights(grid, run), x = Array.from(run.x), y = Array.from(run.y);
      data.push({type: "scatter3d", mode: "lines", x: x, y: y, z: zs, line: {color: run.color, width: 2},
                 opacity: 0.35, hoverinfo: "skip", name: run.label});
      data.push({type: "scatter3d", mode: "lines", x: [], y: [], z: [], line: {color: run.color, width: 6},
                 hoverinfo: "skip", name: run.label});
      data.push({type: "scatter3d", mode: "markers", x: [], y: [], z: [], hoverinfo: "skip", name: run.label,
                 marker: {color: run.color, size: 5, line: {color: "#ffffff", width: 1}}});
    });
    var title = surface.colour_title || "f";
    return {data: data, layout: {
      margin: {l: 0, r: 0, t: 0, b: 0}, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)",
      uirevision: "view3d-" + surface.key + JSON.stringify(surface.params),
      scene: {xaxis: {title: {text: "x"}}, yaxis: {title: {text: "y"}}, zaxis: {title: {text: title}},
              aspectmode: "manual", aspectratio: {x: 1, y: 1, z: 0.55},
              camera: {eye: {x: -1.35, y: -1.55, z: 1.05}}},
    }};
  }

  function update3d(force) {
    var gd = U.graphDiv(IDS.view3d), list = runs();
    if (!inst.show.view3d || !gd || !gd.data || !window.Plotly || !inst.has3d) { return; }
    if (inst.frame3d === ctl.frame && inst.list3d === list && inst.data3d === gd.data) { return; }  // drawn
    var now = performance.now();
    if (!force && now - inst.view3dAt < 66) {  // at most ~15 restyles a second; the last frame always lands
      if (!inst.view3dTimer) { inst.view3dTimer = window.setTimeout(function () { inst.view3dTimer = null; update3d(true); }, 70); }
      return;
    }
    inst.view3dAt = now;
    var grid = inst.grid, xs = [], ys = [], zs = [], idx = [];
    runs().forEach(function (run, i) {
      var z = pathHeights(grid, run), k = U.visibleCount(run.n, ctl.frame);
      xs.push(Array.from(run.x.subarray(0, k)), [run.x[k - 1]]);
      ys.push(Array.from(run.y.subarray(0, k)), [run.y[k - 1]]);
      zs.push(z.slice(0, k), [z[k - 1]]);
      idx.push(1 + 3 * i + 1, 1 + 3 * i + 2);
    });
    if (!idx.length || gd.data.length < 1 + 3 * runs().length) { return; }
    inst.restyles += 1;
    inst.frame3d = ctl.frame; inst.list3d = list;
    window.Plotly.restyle(gd, {x: xs, y: ys, z: zs}, idx);
    inst.data3d = gd.data;
  }

  function restyleGhosts3d(list) {
    var gd = U.graphDiv(IDS.view3d);
    if (!gd || !gd.data || !window.Plotly || gd.data.length !== 1 + 3 * list.length || !inst.grid) { return; }
    var xs = [], ys = [], zs = [], colors = [], idx = [];
    list.forEach(function (run, i) {
      xs.push(Array.from(run.x)); ys.push(Array.from(run.y)); zs.push(pathHeights(inst.grid, run));
      colors.push(run.color); idx.push(1 + 3 * i);
    });
    window.Plotly.restyle(gd, {x: xs, y: ys, z: zs, "line.color": colors}, idx);
    inst.frame3d = null;  // the travelled paths and heads follow with the next draw
    update3d(true);
  }

  // ---------------------------------------------------------------- hooks
  ctl.hooks.mainUnder.push(drawFan);
  ctl.hooks.mainOver.push(drawArrows);
  ctl.hooks.hover.push(hoverExtra);
  ctl.hooks.frame.push(function () {
    CHARTS.forEach(function (what) { if (inst.show[what]) { hookChart(what); drawChart(what); } });
    liveReadout(!ctl.playing);
    lessonLive(!ctl.playing);
    update3d(!ctl.playing);
  });

  function noUpdate() { return window.dash_clientside.no_update; }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.instruments = {
    // Inputs: paths, surface, the toggles; state: the chart layouts. Outputs: the three
    // charts and the 3D figure (only when their axes change), then the boxes' styles.
    render: function (paths, surface, show, layouts) {
      var nu = noUpdate(), on = {};
      (show || []).forEach(function (name) { on[name] = true; });
      inst.show = on;
      var list = decode(paths);
      var out = CHARTS.map(function (what) {
        if (!on[what] || !paths || !layouts) { return nu; }
        var fig = chartFigure(what, layouts, list);
        var key = JSON.stringify([fig.layout.yaxis.range, fig.layout.xaxis.range]);
        if (inst.chartKeys[what] === key) { return nu; }
        inst.chartKeys[what] = key;
        return fig;
      });
      // A new 3D figure only for a new surface or a new number of runs; new paths on
      // the same surface (a slider) restyle the runs' traces, keeping the WebGL scene.
      var key3d = on.view3d && surface && paths ? [surface.key, JSON.stringify(surface.params), list.length].join("|") : null;
      if (key3d && key3d !== inst.key3d) {
        inst.key3d = key3d; inst.has3d = true; inst.pending3d = true; inst.list3dBuilt = list;
        inst.figures3d = (inst.figures3d || 0) + 1;
        out.push(figure3d(surface, list));
      } else {
        if (key3d && inst.list3dBuilt !== list) { inst.list3dBuilt = list; restyleGhosts3d(list); }
        out.push(nu);
      }
      var visible = function (flag) { return {display: flag ? "block" : "none"}; };
      out.push(visible(on.angle), visible(on.lr), visible(on.sharpness), visible(on.readout), visible(on.view3d),
               visible(on.grad || on.rescaled || on.velocity || on.step));
      CHARTS.forEach(function (what) { if (!on[what]) { delete inst.chartKeys[what]; } });
      if (!on.view3d) { inst.key3d = null; }
      window.setTimeout(function () { hookAll(0); ctl.drawFrame(); }, 0);
      return out;
    },

    // The state goes to the server's readout only while the readout is shown.
    readoutGate: function (state) {
      if (state && state.show && state.show.indexOf("readout") >= 0) { return state; }
      return noUpdate();
    },

    fanValue: function (k) { return typeof k === "number" && k >= 2 ? k + " seeds" : "off"; },
  };
})();

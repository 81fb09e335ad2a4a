/*
 * Descent Lab — the instruments in the browser (ui/instruments/ on the server).
 *
 * Driven by the race's frame through the core's hooks (ctl.hooks), so the arrows, the
 * charts' markers, the live readout and the 3D view follow play, step, scrub and the
 * keyboard with no server call. What exists and where it draws comes from the registry
 * (ui/core/registry.py, in the config store); the numbers come with each run
 * (run.inst: g, e, v, angle, sharp, edge, state; run.fan), only for the instruments that are on.
 *
 *   arrows    at the current frame on the main graph: -g (direction only, fixed length),
 *             the rescaled direction -lr_eff*g, the momentum's move and the step taken;
 *             the last three share one scale per run (the longest is 12% of the plot);
 *   flows     for gradient descent: the gradient flow (dotted) and the central flow (dashed)
 *             up to the frame, each with its point at the frame, and the central flow's
 *             predicted oscillation as a bar of ±sigma along the Hessian's top direction;
 *   batch     on a data surface: from the current point, where steps with fresh minibatches
 *             would land (dots), with the full batch (ring), and the minimum of the
 *             minibatch the step used (a cross), from every stride-th update;
 *   fan       the K-seed cloud (cached layer, faint) under the runs, with the mean path
 *             travelled so far (dashed) and each seed's position;
 *   charts    the registry's charts, drawn by the core's one step-chart function; a chart
 *             with notes lists each run's sentence under it (the stability edge's verdicts);
 *   readout   per-frame numbers of every run (the server renders the update rules);
 *   theory    a table of the formulas that apply beside what each run measures (the rows
 *             come with the runs, formatted by the server);
 *   3D view   the contour's grid as a surface with the paths on it.
 */
(function () {
  "use strict";

  var ctl = window.descentLab;
  if (!ctl || !ctl.hooks || !ctl.util) { return; }
  var U = ctl.util;
  var ARROW_FRACTION = 0.12;
  var inst = {show: {}, chartKeys: {}, ranges: {}, liveAt: 0, view3dAt: 0, view3dTimer: null, restyles: 0,
              drawn: 0, figures3d: 0};
  ctl.instruments = inst;

  function cfg() { return (ctl.config && ctl.config.instruments) || {charts: [], graphs: {}, hosts: {}, boxes: {}}; }
  function graphOf(name) { return U.graphDiv(cfg().graphs[name]); }
  function view3dDiv() { return document.getElementById(cfg().graphs.view3d); }

  // Plotly's 3D bundle, fetched the first time the 3D view opens. It is a whole Plotly of
  // its own: loaded as a script it takes window.Plotly, so the page's 2-D Plotly is
  // put back and the 3D one kept aside (ctl.plotly3d).
  var loading3d = null;
  function plotly3d() {
    if (ctl.plotly3d) { return Promise.resolve(ctl.plotly3d); }
    if (loading3d) { return loading3d; }
    loading3d = new Promise(function (resolve, reject) {
      var keep = window.Plotly, script = document.createElement("script");
      script.src = ctl.config.plotly3d;
      script.async = true;
      script.onload = function () {
        ctl.plotly3d = window.Plotly;
        window.Plotly = keep;
        resolve(ctl.plotly3d);
      };
      script.onerror = function (e) { window.Plotly = keep; loading3d = null; reject(e); };
      document.head.appendChild(script);
    });
    return loading3d;
  }

  // Intent: the pointer over the 3D view's switch, or the keyboard's focus on it, starts
  // loading that bundle (0.6 MB, then its evaluation), so the scene's own set-up is most
  // of what is left when it is ticked. Nothing is fetched for a visit that never goes near it.
  function intent3d(event) {  // on every pointerover: the cheap checks first
    if (ctl.plotly3d || loading3d || !ctl.config || !ctl.config.plotly3d) { return; }
    var t = event.target, label = t && t.closest ? t.closest("label") : null;
    if (label && label.querySelector("input[value='view3d']")) { plotly3d().catch(function () { /* retried on opening */ }); }
  }
  document.addEventListener("pointerover", intent3d, true);
  document.addEventListener("focusin", intent3d, true);

  // The update shown at the current frame: index h of the per-update arrays (the update
  // applied at the head), or -1 when the head is the last point.
  function updateIndex(run) {
    var h = U.visibleCount(run.n, ctl.frame) - 1;
    return h < run.n - 1 ? h : -1;
  }
  inst.updateIndex = updateIndex;

  function arrays(run) { return run.inst || {}; }

  function numbers(run, h) {
    var a = arrays(run);
    if (h < 0 || h >= run.n - 1) { return null; }
    var out = {t: h + 1, step: [run.x[h + 1] - run.x[h], run.y[h + 1] - run.y[h]], state: {}};
    if (a.gx) { out.g = [a.gx[h], a.gy[h]]; }
    if (a.ex) { out.e = [a.ex[h], a.ey[h]]; }
    if (a.gx && a.ex) { out.rescaled = [-a.ex[h] * a.gx[h], -a.ey[h] * a.gy[h]]; }
    if (a.vx) { out.velocity = [a.vx[h], a.vy[h]]; }
    if (a.angle) { out.angle = a.angle[h]; }
    if (a.sharp) { out.sharp = a.sharp[h]; }
    if (a.edge) { out.edge = a.edge[h]; out.edgeLimit = a.edge_limit; }
    Object.keys(a.state || {}).forEach(function (name) { out.state[name] = [a.state[name].x[h], a.state[name].y[h]]; });
    return out;
  }
  inst.numbers = function (i) { var r = ctl.runs[i]; return r ? numbers(r, updateIndex(r)) : null; };

  function pair(v) { return "(" + U.fmt(v[0]) + ", " + U.fmt(v[1]) + ")"; }
  function deg(v) { return isFinite(v) ? v.toFixed(1) + "°" : "—"; }

  // --------------------------------------------------------------- arrows
  var ARROW_STYLE = {grad: {width: 1.8, dash: []}, rescaled: {width: 2, dash: [6, 4]},
                     velocity: {width: 2.4, dash: [1.5, 4]}, step: {width: 2.8, dash: []}};

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

  // The arrows of a run at the current frame, in pixels from the head.
  function arrowVectors(run, xa, ya) {
    var on = inst.show, h = updateIndex(run), a = arrays(run);
    if (h < 0) { return null; }
    var L = ARROW_FRACTION * Math.min(xa._length, ya._length), out = {};
    var mx = xa._m, my = ya._m, shared = [], longest = 0;
    if (on.step) { shared.push(["step", run.x[h + 1] - run.x[h], run.y[h + 1] - run.y[h]]); }
    if (on.rescaled && a.ex && a.gx) { shared.push(["rescaled", -a.ex[h] * a.gx[h], -a.ey[h] * a.gy[h]]); }
    if (on.velocity && a.vx) { shared.push(["velocity", a.vx[h], a.vy[h]]); }
    shared.forEach(function (v) {
      v[1] *= mx; v[2] *= my;
      var len = Math.sqrt(v[1] * v[1] + v[2] * v[2]);
      if (isFinite(len) && len > longest) { longest = len; }
    });
    var scale = longest > 0 ? L / longest : 0;
    shared.forEach(function (v) { out[v[0]] = [v[1] * scale, v[2] * scale]; });
    if (on.grad && a.gx) {
      var gx = -a.gx[h] * mx, gy = -a.gy[h] * my, g = Math.sqrt(gx * gx + gy * gy);
      if (g > 0 && isFinite(g)) { out.grad = [gx / g * L, gy / g * L]; }
    }
    return out;
  }
  inst.arrowVectors = function (i) {
    var gd = U.graphDiv(ctl.ids.MAIN_GRAPH), r = ctl.runs[i];
    if (!gd || !r) { return null; }
    var axes = U.axisPair(gd, "x", "y");
    return axes ? arrowVectors(r, axes[0], axes[1]) : null;
  };

  function drawArrows(gd, ctx) {
    var on = inst.show;
    if (!(on.grad || on.rescaled || on.velocity || on.step) || !ctl.paths) { return; }
    ctl.panelRuns(gd).forEach(function (item) {
      if (!item.run.inst && !on.step) { return; }
      var xa = item.axes[0], ya = item.axes[1], run = item.run, vectors = arrowVectors(run, xa, ya);
      if (!vectors) { return; }
      var h = updateIndex(run), px = U.mapper(xa)(run.x[h]), py = U.mapper(ya)(run.y[h]);
      ctx.save(); U.clipTo(ctx, xa, ya);
      ["step", "velocity", "rescaled", "grad"].forEach(function (kind) {
        var v = vectors[kind];
        if (!v) { return; }
        var style = ARROW_STYLE[kind];
        arrow(ctx, px, py, px + v[0], py + v[1], kind === "grad" ? ctl.theme.ink : run.color, style.width, style.dash);
      });
      ctx.restore();
    });
    inst.drawn += 1;
  }

  // ---------------------------------------------------------------- flows
  function drawFlows(gd, ctx) {
    if (!inst.show.flows || !ctl.paths) { return; }
    ctl.panelRuns(gd).forEach(function (item) {
      var run = item.run, a = arrays(run);
      if (!a.gf_x) { return; }
      var xa = item.axes[0], ya = item.axes[1], k = U.visibleCount(run.n, ctl.frame);
      ctx.save(); U.clipTo(ctx, xa, ya); ctx.lineJoin = "round"; ctx.lineCap = "round";
      [["gf", [1.5, 4], 2.2], ["cf", [8, 5], 2.4]].forEach(function (kind) {
        var xs = a[kind[0] + "_x"], ys = a[kind[0] + "_y"];
        if (!xs) { return; }
        var n = Math.min(k, xs.length), p = U.pixels(xa, ya, xs, ys, xs.length);
        U.polyline(ctx, p, xs.length);  // the whole flow, faint
        ctx.setLineDash(kind[1]); ctx.globalAlpha = 0.35; ctx.lineWidth = 1.4; ctx.strokeStyle = run.color; ctx.stroke();
        ctx.globalAlpha = 1;
        U.polyline(ctx, p, n);  // up to the frame
        [["rgba(255,255,255,0.9)", kind[2] + 2.2], [run.color, kind[2]]].forEach(function (s) {
          ctx.lineWidth = s[1]; ctx.strokeStyle = s[0]; ctx.stroke();
        });
        ctx.setLineDash([]);
        var j = n - 1, X = p.X[j], Y = p.Y[j];
        if (!isFinite(X) || !isFinite(Y)) { return; }
        if (kind[0] === "cf" && a.cf_s && a.cf_s[j] > 0) {  // the predicted oscillation: +-sigma along u
          var fx = U.mapper(xa), fy = U.mapper(ya), s = a.cf_s[j], ux = a.cf_ux[j], uy = a.cf_uy[j];
          var x0 = fx(xs[j] - s * ux), y0 = fy(ys[j] - s * uy), x1 = fx(xs[j] + s * ux), y1 = fy(ys[j] + s * uy);
          [["rgba(255,255,255,0.9)", 6], [run.color, 3]].forEach(function (st) {
            ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.lineWidth = st[1]; ctx.strokeStyle = st[0]; ctx.stroke();
          });
        }
        ctx.beginPath(); ctx.arc(X, Y, kind[0] === "cf" ? 5 : 4, 0, 2 * Math.PI);
        ctx.fillStyle = "#ffffff"; ctx.fill(); ctx.lineWidth = 2; ctx.strokeStyle = run.color; ctx.stroke();
      });
      ctx.restore();
    });
    inst.flowsDrawn = (inst.flowsDrawn || 0) + 1;
  }

  // The points an optimizer keeps beside its own (ASGD's average, Schedule-Free's z and x),
  // as paths beside the run's, up to the frame; L-BFGS's inner iterates as dots, the
  // current step's joined from the head.
  var POINT_DASH = [[1.5, 4], [8, 5], [3, 3]];
  function drawPoints(gd, ctx) {
    if (!inst.show.points || !ctl.paths) { return; }
    ctl.panelRuns(gd).forEach(function (item) {
      var run = item.run, a = arrays(run), xa = item.axes[0], ya = item.axes[1];
      if (!a.points && !a.inner_x) { return; }
      var k = U.visibleCount(run.n, ctl.frame);
      ctx.save(); U.clipTo(ctx, xa, ya); ctx.lineJoin = "round"; ctx.lineCap = "round";
      (a.points || []).forEach(function (pt, i) {
        var n = Math.min(k, pt.x.length), p = U.pixels(xa, ya, pt.x, pt.y, pt.x.length);
        U.polyline(ctx, p, n);
        ctx.setLineDash(POINT_DASH[i % POINT_DASH.length]);
        [["rgba(255,255,255,0.9)", 4], [run.color, 2]].forEach(function (st) {
          ctx.lineWidth = st[1]; ctx.strokeStyle = st[0]; ctx.stroke();
        });
        ctx.setLineDash([]);
        var X = p.X[n - 1], Y = p.Y[n - 1];
        if (isFinite(X) && isFinite(Y)) {
          U.marker(ctx, i % 2 ? "square" : "diamond", X, Y, 4.5, "#ffffff");
          ctx.lineWidth = 2; ctx.strokeStyle = run.color; ctx.stroke();
        }
      });
      if (a.inner_x) {
        var L = a.inner_l, stride = a.inner_stride || 1, h = updateIndex(run), fx = U.mapper(xa), fy = U.mapper(ya);
        var last = Math.min(Math.floor((k - 1) / stride), a.inner_x.length / L);
        ctx.fillStyle = run.color; ctx.globalAlpha = 0.3;
        for (var s = 0; s < last; s++) {
          for (var j = 0; j < L; j++) {
            var X = fx(a.inner_x[s * L + j]), Y = fy(a.inner_y[s * L + j]);
            if (isFinite(X) && isFinite(Y)) { ctx.beginPath(); ctx.arc(X, Y, 1.8, 0, 2 * Math.PI); ctx.fill(); }
          }
        }
        ctx.globalAlpha = 1;
        if (h >= 0 && h % stride === 0 && h / stride < a.inner_x.length / L) {  // the step under way: its inner iterates
          var base = (h / stride) * L, xs = [run.x[h]], ys = [run.y[h]];
          for (var q = 0; q < L; q++) { xs.push(a.inner_x[base + q]); ys.push(a.inner_y[base + q]); }
          var pc = U.pixels(xa, ya, xs, ys, xs.length);
          U.polyline(ctx, pc, xs.length);
          [["rgba(255,255,255,0.9)", 3.4], [run.color, 1.4]].forEach(function (st) {
            ctx.lineWidth = st[1]; ctx.strokeStyle = st[0]; ctx.stroke();
          });
          for (var r = 1; r < xs.length; r++) {
            if (!isFinite(pc.X[r]) || !isFinite(pc.Y[r])) { continue; }
            ctx.beginPath(); ctx.arc(pc.X[r], pc.Y[r], 3.2, 0, 2 * Math.PI);
            ctx.fillStyle = "#ffffff"; ctx.fill(); ctx.lineWidth = 1.6; ctx.strokeStyle = run.color; ctx.stroke();
          }
        }
      }
      ctx.restore();
    });
    inst.pointsDrawn = (inst.pointsDrawn || 0) + 1;
  }

  // The minibatch view at the current frame: the sampled update at or before it.
  function batchAt(run) {
    var a = arrays(run), h = updateIndex(run);
    if (!a.cloud_x || h < 0) { return null; }
    var j = Math.min(Math.floor(h / a.batch_stride), a.full_x.length - 1), k = a.batch_k, cloud = [];
    for (var i = 0; i < k; i++) { cloud.push([a.cloud_x[j * k + i], a.cloud_y[j * k + i]]); }
    return {update: j * a.batch_stride, head: [run.x[h], run.y[h]], cloud: cloud, full: [a.full_x[j], a.full_y[j]],
            minimizer: [a.bmin_x[j], a.bmin_y[j]]};
  }
  inst.batchAt = function (i) { var r = ctl.runs[i]; return r ? batchAt(r) : null; };

  function drawBatch(gd, ctx) {
    if (!inst.show.batch || !ctl.paths) { return; }
    ctl.panelRuns(gd).forEach(function (item) {
      var view = batchAt(item.run);
      if (!view) { return; }
      var xa = item.axes[0], ya = item.axes[1], fx = U.mapper(xa), fy = U.mapper(ya), run = item.run;
      var hx = fx(view.head[0]), hy = fy(view.head[1]);
      ctx.save(); U.clipTo(ctx, xa, ya);
      ctx.fillStyle = run.color; ctx.globalAlpha = 0.6;
      view.cloud.forEach(function (c) {
        ctx.beginPath(); ctx.arc(fx(view.head[0] + c[0]), fy(view.head[1] + c[1]), 2.6, 0, 2 * Math.PI); ctx.fill();
      });
      ctx.globalAlpha = 1;
      ctx.beginPath(); ctx.arc(fx(view.head[0] + view.full[0]), fy(view.head[1] + view.full[1]), 6, 0, 2 * Math.PI);
      ctx.lineWidth = 3.5; ctx.strokeStyle = "rgba(255,255,255,0.9)"; ctx.stroke();
      ctx.lineWidth = 2; ctx.strokeStyle = run.color; ctx.stroke();
      var mx = fx(view.minimizer[0]), my = fy(view.minimizer[1]);
      if (isFinite(mx) && isFinite(my)) {
        ctx.beginPath(); ctx.moveTo(hx, hy); ctx.lineTo(mx, my); ctx.setLineDash([3, 4]);
        ctx.lineWidth = 1.2; ctx.strokeStyle = run.color; ctx.stroke(); ctx.setLineDash([]);
        U.cross(ctx, mx, my, 5, run.color);
      }
      ctx.restore();
    });
    inst.batchDrawn = (inst.batchDrawn || 0) + 1;
  }

  // The flows' points at the current frame, for tests and readers: [gradient, central, sigma].
  inst.flowsAt = function (i) {
    var run = ctl.runs[i], a = run ? arrays(run) : {};
    if (!a.gf_x) { return null; }
    var j = Math.min(U.visibleCount(run.n, ctl.frame), a.gf_x.length) - 1;
    return {gradient: [a.gf_x[j], a.gf_y[j]], central: a.cf_x ? [a.cf_x[j], a.cf_y[j]] : null,
            sigma: a.cf_s ? a.cf_s[j] : null, step: j};
  };

  // ------------------------------------------------------------------ fan
  function drawFan(gd, ctx) {
    if (!ctl.paths || !ctl.runs.some(function (r) { return r && r.fan; })) { return; }
    var items = ctl.panelRuns(gd).filter(function (item) { return item.run.fan; });
    U.paintLayer(ctx, gd, "fan", function (lctx) {
      lctx.lineJoin = "round"; lctx.lineWidth = 1;
      items.forEach(function (item) {
        var f = item.run.fan, fx = U.mapper(item.axes[0]), fy = U.mapper(item.axes[1]);
        lctx.save(); U.clipTo(lctx, item.axes[0], item.axes[1]);
        lctx.globalAlpha = Math.max(0.08, Math.min(0.3, 2.5 / f.k)); lctx.strokeStyle = item.run.color;
        for (var b = 0; b < f.k; b++) {
          lctx.beginPath();
          var open = false;
          for (var j = 0; j < f.m; j++) {
            var X = fx(f.x[b * f.m + j]), Y = fy(f.y[b * f.m + j]);
            if (!isFinite(X) || !isFinite(Y)) { open = false; continue; }
            if (open) { lctx.lineTo(X, Y); } else { lctx.moveTo(X, Y); open = true; }
          }
          lctx.stroke();
        }
        lctx.restore();
      });
    }, ctl.view);
    items.forEach(function (item) {
      var run = item.run, f = run.fan, fx = U.mapper(item.axes[0]), fy = U.mapper(item.axes[1]);
      var k = Math.min(ctl.frame, f.mx.length - 1), j = Math.min(f.m - 1, Math.floor(ctl.frame / f.stride));
      ctx.save(); U.clipTo(ctx, item.axes[0], item.axes[1]);
      ctx.fillStyle = run.color; ctx.globalAlpha = 0.55;
      for (var b = 0; b < f.k; b++) {
        var X = fx(f.x[b * f.m + j]), Y = fy(f.y[b * f.m + j]);
        if (isFinite(X) && isFinite(Y)) { ctx.beginPath(); ctx.arc(X, Y, 2.2, 0, 2 * Math.PI); ctx.fill(); }
      }
      ctx.globalAlpha = 1;
      var p = U.pixels(item.axes[0], item.axes[1], f.mx, f.my, k + 1);
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
  // A constant of a run as a dashed line over its steps (its own edge, the distance its
  // estimate aims at), cached per run.
  function levelLine(run, name, value, length) {
    var key = "_line_" + name;
    if (!run[key] || run[key].length !== length || run[key][0] !== Math.fround(value)) {
      run[key] = new Float32Array(length).fill(value);
    }
    return run[key];
  }
  function edgeLine(run) { var a = arrays(run); return levelLine(run, "edge", a.edge_limit, a.edge.length); }
  function estimateSeries(run) {
    var a = arrays(run);
    if (!a.estimate) { return []; }
    var out = [[a.estimate, []]];
    if (a.estimate_true) { out.push([levelLine(run, "estimate", a.estimate_true, a.estimate.length), [5, 4]]); }
    return out;
  }

  var SERIES = {
    angle: function (run) { var a = arrays(run); return a.angle ? [[a.angle, []]] : []; },
    edge: function (run) { var a = arrays(run); return a.edge ? [[a.edge, []], [edgeLine(run), [5, 4]]] : []; },
    sharpness: function (run) { var a = arrays(run); return a.sharp ? [[a.sharp, []]] : []; },
    estimate: estimateSeries,
    lr: function (run) { var a = arrays(run); return a.ex ? [[a.ex, []], [a.ey, [5, 4]]] : []; },
  };
  function series(name) { return SERIES[name] || function () { return []; }; }

  function chartRange(name, layout) {
    if (name === "angle") { return [0, 180]; }
    var log = layout.yaxis && layout.yaxis.type === "log", r = U.seriesRange(series(name), log, false);
    if (log) { return r || [-4, 0]; }
    var lo = r ? r[0] : 0, hi = r ? r[1] : 2.5;  // always show 0 and the reference line; a blow-up leaves the top
    var line = (layout.shapes && layout.shapes[0]) ? layout.shapes[0].y0 : null;
    if (line !== null) { hi = Math.max(hi, line * 1.25); lo = Math.min(lo, 0); }
    lo = Math.max(lo, -4 * Math.abs(line || 2)); hi = Math.min(hi, 4 * Math.abs(line || 2));
    return [lo, hi];
  }

  function drawChart(name) {
    var gd = graphOf(name);
    if (!gd || !gd._fullLayout || !inst.show[name] || !gd.clientWidth) { return; }
    U.drawStepChart(gd, "inst-" + name, series(name), false);
  }

  function hoverChart(gd, name, event) {
    var axes = U.axisPair(gd, "x", "y");
    if (!axes || !ctl.paths) { return; }
    var xa = axes[0], ya = axes[1], rect = gd.getBoundingClientRect();
    var px = event.clientX - rect.left, py = event.clientY - rect.top;
    if (px < xa._offset || px > xa._offset + xa._length || py < ya._offset || py > ya._offset + ya._length) {
      U.hideTip(gd); return;
    }
    var step = Math.max(0, Math.round(xa.p2c(px - xa._offset))), rows = [];
    ctl.runs.forEach(function (run) {
      var s = series(name)(run);
      if (!s.length) { return; }
      var j = Math.min(step, s[0][0].length - 1);
      if (j < 0) { return; }
      var text = name === "angle" ? deg(s[0][0][j]) :
        name === "lr" ? "x " + U.fmt(s[0][0][j]) + ", y " + U.fmt(s[1][0][j]) :
        name === "edge" ? U.fmt(s[0][0][j]) + " (its edge " + U.fmt(s[1][0][0]) + ")" :
        name === "estimate" && s[1] ? "d " + U.fmt(s[0][0][j]) + " (|x₀ − x*| " + U.fmt(s[1][0][0]) + ")" :
        U.fmt(s[0][0][j]);
      rows.push('<span style="color:' + U.escapeHtml(run.color) + '">●</span> ' + U.escapeHtml(run.label) + ": " + text);
    });
    if (rows.length) { U.showTip(gd, ctl.unit() + " " + step + "<br>" + rows.join("<br>"), px, py); } else { U.hideTip(gd); }
  }

  function hookAll(attempt) {
    var pending = false;
    cfg().charts.forEach(function (name) {
      var gd = graphOf(name);
      if (!gd || !gd.on) { pending = pending || !!inst.show[name]; return; }
      if (gd._instrumentHooked) { return; }
      gd._instrumentHooked = true;
      gd.on("plotly_afterplot", function () { window.requestAnimationFrame(function () { drawChart(name); }); });
      gd.addEventListener("pointermove", function (event) { hoverChart(gd, name, event); });
      gd.addEventListener("pointerleave", function () { U.hideTip(gd); });
    });
    if (pending && (attempt || 0) < 100) { window.setTimeout(function () { hookAll((attempt || 0) + 1); }, 50); }
  }

  // The sentence each run's chart gives under it (its verdict against its own edge).
  function drawNotes() {
    (cfg().notes || []).forEach(function (name) {
      var box = document.querySelector('[data-notes="' + name + '"]');
      if (!box) { return; }
      var html = inst.show[name] ? ctl.runs.map(function (run) {
        var note = run && arrays(run)[name + "_note"];
        return note ? '<p class="chart-note" style="--run-color:' + U.escapeHtml(run.color) + '"><b>' +
          U.escapeHtml(run.label) + "</b>: " + U.escapeHtml(note) + "</p>" : "";
      }).join("") : "";
      if (box._html !== html) { box._html = html; box.innerHTML = html; }
    });
  }
  inst.drawNotes = drawNotes;

  // A panel filled from the runs (the theory panel): shown while its instrument is on.
  function theoryHtml() {
    var head = "<thead><tr><th>formula</th><th>theory</th><th>measured</th><th>gap</th></tr></thead>";
    var row = function (r, color) {
      return '<tr' + (color ? ' class="theory-run-row" style="--run-color:' + U.escapeHtml(color) + '"' : "") + "><td>" +
        U.escapeHtml(r[0]) + (r[4] ? '<div class="theory-note">' + U.escapeHtml(r[4]) + "</div>" : "") + "</td><td>" +
        U.escapeHtml(r[1]) + "</td><td>" + U.escapeHtml(r[2]) + "</td><td>" + U.escapeHtml(r[3]) + "</td></tr>";
    };
    var first = ctl.runs.filter(function (run) { return run && arrays(run).theory; })[0];
    if (!first) { return ""; }
    var body = "", surface = arrays(first).theory.surface;
    if (surface.length) {
      body += '<tr class="theory-head"><th colspan="4">the surface</th></tr>' + surface.map(function (r) { return row(r, null); }).join("");
    }
    ctl.runs.forEach(function (run) {
      var t = run && arrays(run).theory;
      if (!t) { return; }
      body += '<tr class="theory-head" style="--run-color:' + U.escapeHtml(run.color) + '"><th colspan="4">' +
        U.escapeHtml(run.label) + "</th></tr>";
      body += t.reason ? '<tr class="theory-run-row" style="--run-color:' + U.escapeHtml(run.color) +
        '"><td colspan="4" class="theory-note">' + U.escapeHtml(t.reason) + ".</td></tr>" :
        t.rows.map(function (r) { return row(r, run.color); }).join("");
    });
    return '<table class="theory-table">' + head + "<tbody>" + body + "</tbody></table>";
  }

  function drawPanels() {
    document.querySelectorAll("[data-panel]").forEach(function (box) {
      var name = box.getAttribute("data-panel"), on = !!inst.show[name];
      box.hidden = !on;
      var target = box.querySelector(".panel-body"), html = on && name === "theory" ? theoryHtml() : "";
      if (target && target._html !== html) { target._html = html; target.innerHTML = html; }
    });
  }
  inst.drawPanels = drawPanels;

  // ------------------------------------------------------------ live text
  var STATE_NAMES = {m: "m", v: "v", buf: "b", sum: "s", u: "u", v_max: "v_max", g_avg: "ḡ", prev: "g_prev",
                     step_size: "η_t", mu_product: "Πμ"};

  // The readout's numbers are the paused step's, rendered by the server with its rules
  // (only that step's numbers travel); while playing, it says how to read them.
  function liveReadout() {
    var box = document.getElementById(ctl.ids.READOUT_LIVE);
    if (!box || !inst.show.readout) { return; }
    var text = ctl.playing ? "Playing: pause (or step) to read the numbers and the rules of a step." : "";
    U.setText(box, text);
  }

  function hoverExtra(run, j) {
    var nb = numbers(run, j);
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
  function grid3d() {
    var c = ctl.surface && ctl.surface.contour;
    if (!c) { return null; }
    if (inst.gridOf === c) { return inst.grid; }
    inst.gridOf = c;
    var lo = Infinity, hi = -Infinity;
    for (var q = 0; q < c.flat.length; q++) { if (c.flat[q] < lo) { lo = c.flat[q]; } if (c.flat[q] > hi) { hi = c.flat[q]; } }
    inst.grid = {xs: c.x, ys: c.y, z: c.flat, nx: c.x.length, ny: c.y.length, lo: lo, hi: hi};
    return inst.grid;
  }

  function height(grid, x, y) {  // bilinear in the drawn grid: the paths lie on the surface
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
    var lift = 0.01 * ((grid.hi - grid.lo) || 1), out = new Array(run.n);
    for (var j = 0; j < run.n; j++) { var h = height(grid, run.x[j], run.y[j]); out[j] = isFinite(h) ? h + lift : null; }
    run._z = out; run._zGrid = grid;
    return out;
  }

  // A contrasting scale for 3D (the contour's pale one washes out under lighting).
  var SCALE3D = [[0, "#f7fbff"], [0.35, "#c6dbef"], [0.7, "#6baed6"], [1, "#08519c"]];

  function figure3d() {
    var grid = grid3d(), stride = grid.nx > 100 ? 2 : 1, xs = [], ys = [], z = [];
    for (var i = 0; i < grid.nx; i += stride) { xs.push(grid.xs[i]); }
    for (var j = 0; j < grid.ny; j += stride) {
      ys.push(grid.ys[j]);
      var row = [];
      for (var i2 = 0; i2 < grid.nx; i2 += stride) { row.push(grid.z[j * grid.nx + i2]); }
      z.push(row);
    }
    var data = [{type: "surface", x: xs, y: ys, z: z, colorscale: SCALE3D, showscale: false, opacity: 0.97,
                 hoverinfo: "skip", name: "surface",
                 lighting: {ambient: 0.65, diffuse: 0.6, specular: 0.05, roughness: 0.9},
                 contours: {z: {show: true, usecolormap: false, color: "rgba(31,41,51,0.35)", width: 1}}}];
    ctl.runs.forEach(function (run) {
      var zs = pathHeights(grid, run);
      data.push({type: "scatter3d", mode: "lines", x: Array.from(run.x), y: Array.from(run.y), z: zs,
                 line: {color: run.color, width: 2}, opacity: 0.35, hoverinfo: "skip", name: run.label});
      data.push({type: "scatter3d", mode: "lines", x: [], y: [], z: [], line: {color: run.color, width: 6},
                 hoverinfo: "skip", name: run.label});
      data.push({type: "scatter3d", mode: "markers", x: [], y: [], z: [], hoverinfo: "skip", name: run.label,
                 marker: {color: run.color, size: 5, line: {color: "#ffffff", width: 1}}});
    });
    var s = ctl.surface;
    return {data: data, layout: {
      margin: {l: 0, r: 0, t: 0, b: 0}, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)",
      uirevision: "view3d-" + s.key + JSON.stringify(s.params) + JSON.stringify(s.box),
      scene: {xaxis: {title: {text: "x"}}, yaxis: {title: {text: "y"}}, zaxis: {title: {text: s.colour_title || "f"}},
              aspectmode: "manual", aspectratio: {x: 1, y: 1, z: 0.55}, camera: {eye: {x: -1.35, y: -1.55, z: 1.05}}},
    }};
  }

  // How long the 3D view waits after an update, from what the last one cost: the restyle
  // on the main thread (Plotly redraws every trace of a 3D scene) plus the frames WebGL
  // held back after it (with software WebGL, as in headless Chromium, drawing the scene
  // stalls every frame of the page for hundreds of ms while the main thread is idle).
  // Cheap (a GPU): up to ~15 updates a second while playing. Dear: while playing, the 3D
  // view waits for the pause, so the 2D animation keeps its frame rate; when paused
  // (scrubbing, stepping) it takes at most a quarter of the time. The last frame always
  // lands (a trailing update).
  var CHEAP_3D_MS = 25;
  function wait3d() {
    var cost = inst.cost3d || 0;
    if (cost <= CHEAP_3D_MS) { return 66; }
    return ctl.playing ? Infinity : Math.max(66, 3 * cost);
  }

  function measure3d(started, mainMs) {
    inst.cost3d = mainMs;
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(function () {  // two frames later: what the scene held back
        inst.cost3d = Math.max(mainMs, performance.now() - started - 2 * 1000 / 60);
      });
    });
  }

  function update3d(force) {
    var gd = view3dDiv(), P = ctl.plotly3d;
    if (!inst.show.view3d || !gd || !gd.data || !P || !inst.has3d || !inst.grid) { return; }
    if (inst.frame3d === ctl.frame && inst.version3d === ctl.pathsVersion && inst.data3d === gd.data) { return; }
    var now = performance.now(), wait = wait3d();
    if (!force && now - inst.view3dAt < wait) {
      if (!inst.view3dTimer && wait !== Infinity) {
        inst.view3dTimer = window.setTimeout(function () { inst.view3dTimer = null; update3d(true); },
                                             inst.view3dAt + wait - now + 4);
      }
      return;
    }
    window.clearTimeout(inst.view3dTimer);
    inst.view3dTimer = null;
    inst.view3dAt = now;
    var xs = [], ys = [], zs = [], idx = [];
    ctl.runs.forEach(function (run, i) {
      var z = pathHeights(inst.grid, run), k = U.visibleCount(run.n, ctl.frame);
      xs.push(Array.from(run.x.subarray(0, k)), [run.x[k - 1]]);
      ys.push(Array.from(run.y.subarray(0, k)), [run.y[k - 1]]);
      zs.push(z.slice(0, k), [z[k - 1]]);
      idx.push(1 + 3 * i + 1, 1 + 3 * i + 2);
    });
    if (!idx.length || gd.data.length < 1 + 3 * ctl.runs.length) { return; }
    inst.restyles += 1;
    inst.frame3d = ctl.frame; inst.version3d = ctl.pathsVersion;
    P.restyle(gd, {x: xs, y: ys, z: zs}, idx);
    inst.data3d = gd.data;
    measure3d(now, performance.now() - now);
  }

  function restyleGhosts3d() {
    var gd = view3dDiv(), P = ctl.plotly3d;
    if (!gd || !gd.data || !P || gd.data.length !== 1 + 3 * ctl.runs.length || !inst.grid) { return; }
    var xs = [], ys = [], zs = [], colors = [], idx = [];
    ctl.runs.forEach(function (run, i) {
      xs.push(Array.from(run.x)); ys.push(Array.from(run.y)); zs.push(pathHeights(inst.grid, run));
      colors.push(run.color); idx.push(1 + 3 * i);
    });
    P.restyle(gd, {x: xs, y: ys, z: zs, "line.color": colors}, idx);
    inst.frame3d = null;
    update3d(true);
  }

  // A new 3D figure for a new surface, window or number of runs (drawn once the 3D bundle
  // is in); new paths on the same surface restyle the runs' traces, keeping the scene.
  function draw3d(config) {
    var started = performance.now();
    plotly3d().then(function (P) {
      var div = view3dDiv();
      if (!div || !inst.show.view3d) { return; }
      var fig = figure3d();
      inst.figures3d += 1;
      return P.react(div, fig.data, fig.layout, config || {}).then(function () {
        inst.has3d = true; inst.frame3d = null;
        inst.lastOpenMs = performance.now() - started;
        update3d(true);
      });
    }).catch(function (e) { if (window.console) { window.console.error("3D view:", e); } });
  }

  // ---------------------------------------------------------------- hooks
  ctl.hooks.mainUnder.push(drawFan);
  ctl.hooks.mainOver.push(drawFlows);
  ctl.hooks.mainOver.push(drawPoints);
  ctl.hooks.mainOver.push(drawBatch);
  ctl.hooks.mainOver.push(drawArrows);
  ctl.hooks.hover.push(hoverExtra);
  // While a slider is in the hand only the paths on the contour follow it; the charts, the
  // notes, the panels and the 3D view settle at release, with the state (ctl.inHand: 10_race.js).
  ctl.hooks.runs.push(function () { if (!ctl.inHand) { drawNotes(); } });
  ctl.hooks.runs.push(function () { if (!ctl.inHand) { drawPanels(); } });
  ctl.hooks.runs.push(function () {
    if (ctl.inHand) { return; }
    if (inst.show.view3d && inst.has3d && inst.key3d && inst.built3d !== ctl.pathsVersion) {
      inst.built3d = ctl.pathsVersion; restyleGhosts3d();
    }
  });
  ctl.hooks.frame.push(function () {
    if (ctl.inHand) { return; }
    cfg().charts.forEach(function (name) { if (inst.show[name]) { drawChart(name); } });
    liveReadout();
    update3d(false);
  });

  function noUpdate() { return window.dash_clientside.no_update; }

  // ------------------------------------------------------------- readout
  var readoutAsked = null;
  function readoutKey(state) {
    var copy = Object.assign({}, state);
    delete copy.show; delete copy.view; delete copy.box;
    return JSON.stringify(copy);
  }
  // The table of numbers comes from a lean route and is drawn here (one small request, no
  // callback); the rules follow through the readout's callback (MathJax).
  var tableAsked = 0;
  function tableHtml(t) {
    var E = U.escapeHtml, head = "<thead><tr><th>run · " + E(ctl.unit()) + " " + E(t.frame) + "</th>" +
      t.columns.map(function (c) { return "<th>" + E(c) + "</th>"; }).join("") + "</tr></thead>";
    var rows = t.rows.map(function (r) {
      var th = '<th><span class="readout-run" style="--run-color:' + E(r.color) + '">' + E(r.label) +
        "</span><br><small>update t=" + E(r.t) + "</small></th>";
      if (!r.cells) { return "<tr>" + th + '<td colspan="6">no update after the last point</td></tr>'; }
      return "<tr>" + th + r.cells.map(function (c) {
        return "<td>" + (Array.isArray(c) ? c.map(function (b) { return "<div>" + E(b) + "</div>"; }).join("") : E(c)) + "</td>";
      }).join("") + "</tr>";
    }).join("");
    return '<table class="readout-table">' + head + "<tbody>" + rows + "</tbody></table>";
  }
  function fetchTable(state, then) {
    var box = document.getElementById(ctl.ids.READOUT_TABLE);
    if (!box || !ctl.config || !ctl.config.readout) { if (then) { then(); } return; }
    var asked = ++tableAsked;
    window.fetch(ctl.config.readout, {
      method: "POST", headers: {"Content-Type": "application/json"}, credentials: "same-origin",
      body: JSON.stringify({state: state}),
    }).then(function (response) { return response.json(); }).then(function (reply) {
      if (asked !== tableAsked || !reply) { return; }
      if (reply.error) { box.textContent = reply.error; return; }
      box.innerHTML = tableHtml(reply);
      inst.lastTableAt = performance.now();
    }).catch(function () { /* the rules still come through the callback */ }).then(function () {
      if (then) { U.afterPaint(then); }
    });
  }
  function askReadout(state, then) {
    var key = readoutKey(state);
    if (key === readoutAsked) { return false; }
    readoutAsked = key;
    fetchTable(state, then);
    return true;
  }
  // Switching the readout on shows its box and asks the server for its table at once. Dash
  // hears of the click once the table is on screen: the checklist's new value is a store
  // update that re-checks every component of the page (60-80 ms of main thread here),
  // which held back the table's reply; so the click does not reach the checklist (the box
  // toggles natively) and the page hands the checklist its value afterwards, with the
  // rules (typeset formulas, a Dash callback). The choice then reaches the state like every
  // action (the readout's gate finds the table already asked). A second click before that
  // is the page's too: each click turns the wish over, and the hand-over follows the last
  // one (not the box's checked state: a re-render of the checklist meanwhile, another box
  // ticked, puts every box back to Dash's value).
  var readoutClick = null;  // {el, wanted} while the readout's first table is on its way
  document.addEventListener("click", function (event) {
    var el = event.target, list = el && el.closest ? el.closest("#" + ctl.ids.SHOW) : null;
    if (!list || el.tagName !== "INPUT" || el.value !== "readout") { return; }
    if (readoutClick && readoutClick.el === el) {
      event.stopPropagation();
      readoutClick.wanted = !readoutClick.wanted;
      el.checked = readoutClick.wanted;
      return;
    }
    var api = window.dash_component_api, layout = api && api.getLayout ? api.getLayout(ctl.ids.SHOW) : null;
    var value = layout && layout.props && layout.props.value;
    if (!el.checked || !ctl.state || !Array.isArray(value) || value.indexOf("readout") >= 0) { return; }
    var state = Object.assign({}, ctl.state, {show: (ctl.state.show || []).concat(["readout"])});
    var box = document.getElementById(cfg().boxes.readout);
    event.stopPropagation();
    readoutClick = {el: el, wanted: true};
    inst.readoutHandOver = true;
    if (box) { box.style.display = "block"; }
    var handOver = function () {
      var wanted = readoutClick.wanted;
      readoutClick = null;
      inst.readoutHandOver = false;
      if (!wanted) {  // switched off again before Dash heard of it
        el.checked = false;
        if (box) { box.style.display = "none"; }
        readoutAsked = null;
        return;
      }
      // the checklist's value now (another box may have been ticked meanwhile), with the readout
      var latest = api.getLayout(ctl.ids.SHOW), now = (latest && latest.props && latest.props.value) || value;
      if (now.indexOf("readout") < 0) { U.setProps(ctl.ids.SHOW, {value: now.concat(["readout"])}); }
      U.setProps(ctl.ids.READOUT_REQUEST, {data: state});
    };
    if (!askReadout(state, handOver)) { handOver(); }
  }, true);

  // A chart's graph (ui/instruments/layout.py's chart_graph) with its first figure: the
  // host's children.
  function chartGraph(layouts, name, fig) {
    var graph = layouts.chart_graphs[name];
    return Object.assign({}, graph, {props: Object.assign({}, graph.props, {figure: fig})});
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.instruments = {
    // Outputs (listed from the registry by ui/instruments/callbacks.py): each chart's host
    // (its graph, mounted the first time the chart is shown, with its axes), then the
    // boxes' styles. Each is filled by its id.
    render: function (paths, surface, show, layouts) {
      var nu = noUpdate(), on = {}, c = cfg();
      (show || []).forEach(function (name) { on[name] = true; });
      inst.show = on;
      var outputs = (window.dash_clientside.callback_context || {}).outputs_list || [];
      var byId = {};
      c.charts.forEach(function (name) {
        if (!on[name] || !paths || !layouts || !layouts[name]) { delete inst.chartKeys[name]; return; }
        var layout = layouts[name], fig = U.stepChartFigure(layout, chartRange(name, layout), layout.yaxis.type === "log");
        var key = JSON.stringify([fig.layout.yaxis.range, fig.layout.xaxis.range]);
        if (inst.chartKeys[name] === key) { return; }
        inst.chartKeys[name] = key;
        // mounted once (the host's children); after that the graph's figure changes, so
        // Plotly redraws the same plot instead of building a new one
        if (document.getElementById(c.graphs[name])) { U.setProps(c.graphs[name], {figure: fig}); }
        else { byId[c.hosts[name]] = chartGraph(layouts, name, fig); }
      });
      // A new 3D figure only for a new surface, window or number of runs; new paths on the
      // same surface restyle the runs' traces, keeping the WebGL scene.
      var key3d = on.view3d && surface && paths ? [surface.key, JSON.stringify(surface.params), JSON.stringify(surface.box),
                                                   ctl.runs.length].join("|") : null;
      if (key3d && key3d !== inst.key3d && grid3d()) {
        inst.key3d = key3d; inst.built3d = ctl.pathsVersion;
        draw3d(layouts && layouts.view3d_config);
      } else if (!on.view3d) { inst.key3d = null; }
      var visible = function (flag) { return {display: flag ? "block" : "none"}; };
      c.charts.forEach(function (name) { byId[c.boxes[name]] = visible(on[name]); });
      byId[c.boxes.view3d] = visible(on.view3d);
      byId[c.boxes.readout] = visible(on.readout);
      byId[ctl.ids.ARROW_LEGEND] = visible(c.arrows.some(function (n) { return on[n]; }));
      (c.paths || []).forEach(function (name) {  // a path instrument's legend is the page's, not an output
        var legend = document.querySelector('[data-legend="' + name + '"]');
        if (legend) { legend.hidden = !on[name]; }
      });
      window.setTimeout(function () { hookAll(0); drawNotes(); drawPanels(); ctl.drawFrame(); }, 0);
      return outputs.map(function (o) { var v = byId[o.id]; return v === undefined ? nu : v; });
    },

    // The state goes to the server's readout only while the readout is shown, and only when
    // what the readout shows changed (not the view, the window or the other instruments).
    readoutGate: function (state) {
      if (state && state.show && state.show.indexOf("readout") >= 0) { return askReadout(state) ? state : noUpdate(); }
      return noUpdate();
    },
  };
})();

/*
 * Descent Lab — the "Maps" section, browser side (ui/maps/callbacks.py registers these).
 *
 *   options()  the run lists of the three maps and the hyperparameter map's list of
 *              second settings follow the race's runs (labels, removed runs dropped);
 *   markers()  the hyperparameter map's "current setting" marker and the basin map's
 *              start markers follow the race (a Patch of trace 0 / traces 0..k-1, see
 *              ui/maps/), and a line says when a map no longer describes the race;
 *   png()      each map's PNG button saves that map with Plotly's downloadImage;
 *   follow()   mirrors the race's state into the mounted maps (their callbacks read the
 *              mirror, so nothing fires for maps not yet on the page).
 *
 * The page starts with the maps folded, summaries only (ui/maps/layout.py): opening one
 * asks the server for the maps once, with that one unfolded, and keeps the keyboard's
 * focus on its summary.
 *
 * Nothing here is trusted by the server: a click or a computation re-validates.
 */
(function () {
  "use strict";

  function ids() { return (window.descentLab && window.descentLab.ids) || {}; }

  function pngTargets() {  // each map's PNG button, its graph and its file name
    var I = ids(), out = {};
    out[I.HMAP_PNG] = [I.HMAP_GRAPH, "descent-lab-hyperparameter-map"];
    out[I.BASIN_PNG] = [I.BASIN_GRAPH, "descent-lab-basin-map"];
    out[I.TUNE_PNG] = [I.TUNE_GRAPH, "descent-lab-fair-comparison"];
    return out;
  }
  var last = {};  // JSON of the last value sent per output, to send only changes

  function noUpdate() { return window.dash_clientside.no_update; }

  function changed(key, value) {
    var text = JSON.stringify(value);
    if (last[key] === text) { return noUpdate(); }
    last[key] = text;
    return value;
  }

  // JSON with sorted keys: the server's context and the one read from the state compare equal
  function canonical(value) {
    if (Array.isArray(value)) { return "[" + value.map(canonical).join(",") + "]"; }
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) {
        return JSON.stringify(k) + ":" + canonical(value[k]);
      }).join(",") + "}";
    }
    return JSON.stringify(value === undefined ? null : value);
  }

  function without(obj, names) {
    var out = {};
    Object.keys(obj || {}).forEach(function (k) { if (names.indexOf(k) < 0) { out[k] = obj[k]; } });
    return out;
  }

  function hparamContext(state, run, yName) {
    var entry = state.runs[run];
    if (!entry) { return null; }
    return {surface: state.surface, start: state.start, optimizer: entry.optimizer,
            fixed: without(entry.hparams, ["lr", yName]), noise: state.noise || 0, seed: state.seed || 0};
  }

  function basinContext(state, request) {
    var runs = [];
    (request.runs || []).forEach(function (r) {
      var entry = state.runs[r.index];
      if (entry) { runs.push({index: r.index, optimizer: entry.optimizer, hparams: entry.hparams}); }
    });
    return {surface: state.surface, runs: runs, noise: state.noise || 0, seed: state.seed || 0};
  }

  function sameMarker(figure, i, x, y) {
    var trace = figure && figure.data && figure.data[i];
    if (!trace) { return true; }  // nothing to move
    var tx = trace.x || [], ty = trace.y || [];
    if (x === null) { return tx.length === 0; }
    return tx.length === 1 && ty.length === 1 && tx[0] === x && ty[0] === y;
  }

  var STALE = "The race's settings changed since this map was computed: compute it again to see them.";

  // The maps are on the page (a store has no element of its own to look for).
  function mounted() {
    var box = document.getElementById(ids().HMAP);
    return !!box && !box.classList.contains("map-folded");
  }

  // The folded stand-ins opened so far: the first one asks for the maps (once, with every
  // one opened in the same task); once they are mounted, those opened meanwhile are opened
  // too and the keyboard's focus, lost with the stand-in, goes to the real summary.
  var wanted = {}, asked = false, focusKey = null;
  function markAsking(flag) {
    Array.prototype.forEach.call(document.querySelectorAll(".map-folded"), function (el) {
      el.classList.toggle("mounting", flag);
    });
  }
  document.addEventListener("toggle", function (event) {
    var box = event.target;
    if (!box || !box.classList || !box.classList.contains("map-folded") || !ids().MAPS_OPEN) { return; }
    if (box.open) { wanted[box.id] = true; } else { delete wanted[box.id]; }
    if (box.open && box.contains(document.activeElement)) { focusKey = box.id; }
    if (asked || !box.open) { return; }
    asked = true;
    markAsking(true);
    Promise.resolve().then(function () {
      window.dash_clientside.set_props(ids().MAPS_OPEN, {data: Object.keys(wanted)});
      var tries = 0;
      (function whenMounted() {
        if (!mounted()) {
          if (++tries < 1200) { window.requestAnimationFrame(whenMounted); return; }
          asked = false;  // no answer in about 20 s: the next unfolding asks again
          markAsking(false);
          return;
        }
        Object.keys(wanted).forEach(function (key) { document.getElementById(key).open = true; });
        // the stand-in's summary had the focus and went with it: give it back, unless the
        // focus has moved on since (a control of the mounted maps, another part of the page)
        var lost = !document.activeElement || document.activeElement === document.body;
        if (focusKey && lost) { document.getElementById(focusKey).querySelector("summary").focus(); }
      })();
    });
  }, true);

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.maps = {
    options: function (state, hmapRun, hmapY, basinRuns, tuneRuns, specs) {
      var nu = noUpdate();
      if (!state || !Array.isArray(state.runs) || !specs) { return [nu, nu, nu, nu, nu, nu, nu, nu]; }
      var runs = state.runs, n = runs.length;
      var runOptions = runs.map(function (r, i) {
        var spec = specs[r.optimizer] || {label: r.optimizer};
        return {label: "Run " + (i + 1) + " · " + spec.label, value: i};
      });
      var run = (typeof hmapRun === "number" && hmapRun >= 0 && hmapRun < n) ? hmapRun : (n ? Math.min(1, n - 1) : null);
      var spec = run === null ? null : specs[runs[run].optimizer];
      var params = spec ? spec.params : [];
      var yOptions = params.map(function (p) { return {label: p.label, value: p.name}; });
      var names = params.map(function (p) { return p.name; });
      var y = names.indexOf(hmapY) >= 0 ? hmapY : (spec && spec.second) || names[0] || null;
      var keep = function (list, limit) {
        var out = (Array.isArray(list) ? list : []).filter(function (i) { return typeof i === "number" && i < n; });
        if (!out.length && n) { out = [0]; }
        return limit ? out.slice(0, limit) : out;
      };
      return [
        changed("hmapRunOptions", runOptions), run === hmapRun ? nu : run,
        changed("hmapYOptions", yOptions), y === hmapY ? nu : y,
        changed("basinOptions", runOptions), changed("basinValue", keep(basinRuns, 3)),
        changed("tuneOptions", runOptions), changed("tuneValue", keep(tuneRuns, 0)),
      ];
    },

    markers: function (state, hreq, breq, hfig, bfig) {
      var nu = noUpdate(), out = [nu, nu, nu, nu];
      if (!state || !Array.isArray(state.runs)) { return out; }
      if (hreq && typeof hreq === "object") {
        var entry = state.runs[hreq.run], x = null, y = null;
        if (entry && entry.optimizer === hreq.optimizer) {
          x = entry.hparams.lr; y = entry.hparams[hreq.y_name];
        }
        if (!sameMarker(hfig, 0, x, y)) {
          var patch = new window.dash_clientside.Patch();
          patch.assign(["data", 0, "x"], x === null ? [] : [x]);
          patch.assign(["data", 0, "y"], x === null ? [] : [y]);
          out[0] = patch.build();
        }
        var ctx = hparamContext(state, hreq.run, hreq.y_name);
        out[2] = changed("hmapStale", ctx && canonical(ctx) === canonical(hreq.context) ? "" : STALE);
      }
      if (breq && typeof breq === "object" && Array.isArray(breq.runs)) {
        var sx = state.start[0], sy = state.start[1], bpatch = null;
        for (var i = 0; i < breq.runs.length; i++) {
          if (!sameMarker(bfig, i, sx, sy)) {
            bpatch = bpatch || new window.dash_clientside.Patch();
            bpatch.assign(["data", i, "x"], [sx]);
            bpatch.assign(["data", i, "y"], [sy]);
          }
        }
        if (bpatch) { out[1] = bpatch.build(); }
        out[3] = changed("basinStale", canonical(basinContext(state, breq)) === canonical(breq.context) ? "" : STALE);
      }
      return out;
    },

    follow: function (state) {
      if (mounted()) { window.dash_clientside.set_props(ids().MAPS_STATE, {data: state}); }
    },

    png: function (n, buttonId) {
      var target = pngTargets()[buttonId];
      if (!n || !target) { return noUpdate(); }
      var gd = document.querySelector("#" + target[0] + " .js-plotly-plot");
      if (!gd || !gd.data || !gd.data.length) { return "Compute the map first."; }
      window.Plotly.downloadImage(gd, {format: "png", filename: target[1], scale: 2,
                                       width: gd.clientWidth, height: gd.clientHeight});
      return "Saved " + target[1] + ".png";
    },
  };
})();

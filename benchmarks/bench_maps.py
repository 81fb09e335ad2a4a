"""Maps end to end on the server: a 64 x 64 hyperparameter map at 500 steps, one request.

What is measured (one process, median of ``--repeat`` repeats, each a fresh cache key):

* request: the whole server side of pressing "Compute map": a POST of the body
  dash-renderer sends to ``/_dash-update-component`` for ``on_hparam_map`` (Adam,
  lr x beta1, 64 x 64 cells, 500 steps, final loss, on the default valley), through
  Flask's test client and Dash's dispatch: JSON parsing, validation, the engine,
  the figure, JSON serialisation of the reply. The start moves by 1e-9 per repeat so
  no repeat is served from the cache.
* engine: ``optimizers.sweeps.hyperparameter_map`` alone for the same map (the part
  of the request the batch runner does).
* cached: the same request again (the ``lru_cache`` hit: validation, figure, JSON).
* basins: three 64 x 64 basin maps at 300 steps (gradient descent, momentum, Adam
  on Himmelblau), one request (3 x 64 x 64 x 500 would pass the app's bound of
  ``ui.maps.MAX_MAP_WORK`` run-steps per request and is refused).

Target (issue 5): a 64 x 64 map at 500 steps "well under a second" end to end.

Run: ``python benchmarks/bench_maps.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import _timing  # noqa: F401  (puts this checkout first on sys.path)

N, STEPS = 64, 500
BASIN_STEPS = 300


def _body(app, name, values, changed):
    key, entry = next((k, c) for k, c in app.callback_map.items()
                      if "callback" in c and c["callback"].__name__ == name)
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
               for o in key.strip(".").split("...")]

    def group(specs):
        return [{"id": s["id"], "property": s["property"], "value": values.get(s["id"])} for s in specs]

    return {"output": key, "outputs": outputs, "inputs": group(entry["inputs"]), "state": group(entry["state"]),
            "changedPropIds": [changed]}


def measure(repeat: int) -> dict:
    from descent_lab import surfaces
    from descent_lab.app import app
    from descent_lab.optimizers import sweeps
    from descent_lab.ui.core import ids
    from descent_lab.ui.core.state import default_state
    from descent_lab.ui.core.url import decode_url

    http = app.server.test_client()
    base = default_state()
    times = {"request": [], "engine": [], "cached": [], "basins": []}
    sizes = {}

    def hmap_values(k):
        state = {**base, "start": [base["start"][0] + 1e-9 * k, base["start"][1]]}
        return state, {ids.HMAP_COMPUTE: 1, ids.STATE: state, ids.HMAP_RUN: 2, ids.HMAP_Y: "beta1", ids.HMAP_N: N,
                       ids.HMAP_STEPS: STEPS, ids.HMAP_OUTCOME: "final_loss", ids.HMAP_TOL: 1e-6,
                       ids.HMAP_LR_RANGE: [-6, 1], ids.HMAP_Y_RANGE: [0, 1]}

    himmelblau = decode_url("?surface=himmelblau&run=gd(lr=0.01)&run=momentum(lr=0.005)&run=adam(lr=0.05)")[0]
    for k in range(repeat + 1):  # the first round warms up imports and caches
        state, values = hmap_values(k + 1)
        body = _body(app, "on_hparam_map", values, "hmap-compute.n_clicks")
        t0 = time.perf_counter()
        reply = http.post("/_dash-update-component", json=body)
        t1 = time.perf_counter()
        assert reply.status_code == 200 and "refused" not in reply.get_data(as_text=True), reply.data[:300]
        again = http.post("/_dash-update-component", json=body)
        t2 = time.perf_counter()
        assert again.status_code == 200
        surface = surfaces.get(state["surface"]["key"], **state["surface"]["params"])
        fixed = {key: v for key, v in state["runs"][2]["hparams"].items() if key not in ("lr", "beta1")}
        start = [state["start"][0] + 1e-12, state["start"][1]]
        t3 = time.perf_counter()
        sweeps.hyperparameter_map("adam", surface, start, STEPS, y_name="beta1", nx=N, ny=N, **fixed)
        t4 = time.perf_counter()
        basin_state = {**himmelblau, "seed": k}  # a new cache key without noise: seed is part of it
        body = _body(app, "on_basin_map", {ids.BASIN_COMPUTE: 1, ids.STATE: basin_state, ids.BASIN_RUNS: [0, 1, 2],
                                           ids.BASIN_N: N, ids.BASIN_STEPS: BASIN_STEPS}, "basin-compute.n_clicks")
        t5 = time.perf_counter()
        basins = http.post("/_dash-update-component", json=body)
        t6 = time.perf_counter()
        assert basins.status_code == 200
        if k == 0:
            sizes = {"request": len(reply.data), "basins": len(basins.data)}
            refused = json.dumps(basins.get_json()["response"].get(ids.ALERTS, {}))
            sizes["basins_refused"] = "refused" in refused.lower()
            continue
        times["request"].append(t1 - t0)
        times["cached"].append(t2 - t1)
        times["engine"].append(t4 - t3)
        times["basins"].append(t6 - t5)
    return {"times": times, "sizes": sizes, "repeat": repeat}


def report(result: dict) -> None:
    from _timing import machine

    med = {k: statistics.median(v) for k, v in result["times"].items()}
    print(f"Maps, server side ({machine()}; median of {result['repeat']})")
    print(f"  64 x 64 x {STEPS} hyperparameter map, whole request: {med['request'] * 1000:7.0f} ms"
          f"   (reply {result['sizes']['request'] / 1024:.0f} KiB)")
    print(f"    of which the engine (sweeps.hyperparameter_map):  {med['engine'] * 1000:7.0f} ms")
    print(f"  the same request again (cache hit):               {med['cached'] * 1000:7.0f} ms")
    note = " (refused!)" if result["sizes"].get("basins_refused") else ""
    print(f"  three 64 x 64 x {BASIN_STEPS} basin maps, whole request:   {med['basins'] * 1000:7.0f} ms"
          f"   (reply {result['sizes']['basins'] / 1024:.0f} KiB){note}")
    verdict = "met" if med["request"] < 1.0 else "MISSED"
    print(f"  target: a 64 x 64 x {STEPS} map well under 1 s end to end: {verdict}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    result = measure(args.repeat)
    report(result)
    return 0 if statistics.median(result["times"]["request"]) < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

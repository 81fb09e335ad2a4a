"""The stability instruments on the page, called as plain functions: the registry's
entries, what each run's payload carries (against the engine's numbers), the chart box
and its notes, the lessons that switch them on."""

import math

import numpy as np
from dash import no_update

from descent_lab import optimizers
from descent_lab.optimizers import flows, stability
from descent_lab.surfaces.data import minibatch_view
from descent_lab.ui.core import engine, ids, registry
from descent_lab.ui.core.codec import decode_f4
from descent_lab.ui.core.engine import trajectory
from descent_lab.ui.core.state import default_state, make_surface, validate_state
from descent_lab.ui.core.url import encode_url
from descent_lab.ui.instruments import layout
from descent_lab.ui.race import teach
from descent_lab.ui.race.flow import respond

RAVINE = {"key": "valley", "params": {"condition": 20.0, "angle": 0.0}}


def _state(runs, show=("edge",), surface=RAVINE, steps=80, start=(-8.0, 2.0), **more):
    state, errors = validate_state({**default_state(), "surface": surface, "runs": runs, "show": list(show),
                                    "start": list(start), "steps": steps, **more})
    assert errors == []
    return state


def _run(optimizer, **hparams):
    return {"optimizer": optimizer, "hparams": hparams}


def _load(state):
    return respond(None, {"kind": "load", "search": encode_url(state)})


def test_the_edge_chart_is_a_registry_chart_with_notes():
    edge = registry.BY_NAME["edge"]
    assert edge.where == "chart" and edge.log and edge.notes and edge.needs == frozenset({"edge"})
    assert "edge" in registry.CHARTS and registry.data_groups(["edge"]) == ("edge",)
    assert "edge" in registry.export()["notes"]
    boxes = {box.id: box for box in layout.chart_boxes()}
    box = boxes["edge-graph-box"]
    assert "has-notes" in box.className and [c.className for c in box.children] == ["chart-host", "chart-notes"]
    # the graph is mounted into its host the first time the chart is shown
    assert box.children[0].id == ids.chart_host("edge") and not box.children[0].children
    assert layout.chart_graph("edge")["props"]["id"] == ids.chart("edge")
    noted = {f"{inst.name}-graph-box" for inst in registry.INSTRUMENTS if inst.notes}
    assert all(len(b.children) == (2 if i in noted else 1) for i, b in boxes.items())


def test_each_run_carries_its_sharpness_its_own_edge_and_why():
    state = _state([_run("gd", lr=2.1), _run("momentum", lr=3.5, momentum=0.9), _run("adam", lr=0.3),
                    _run("lion", lr=0.1)])
    out = _load(state)
    surface = make_surface(state["surface"])
    runs = out["paths"]["runs"]
    for index, run in enumerate(runs):
        report = stability.report(trajectory(state, index), surface)
        assert run["inst"]["edge_note"] == report.verdict
        if report.known:
            np.testing.assert_allclose(decode_f4(run["inst"]["edge"]), report.value, rtol=1e-6)
            assert run["inst"]["edge_limit"] == report.limit
        else:
            assert "edge" not in run["inst"] and run["inst"]["edge_limit"] is None
    assert [round(r["inst"]["edge_limit"], 9) if r["inst"]["edge_limit"] else None for r in runs] == [2.0, 3.8, 38.0, None]
    assert runs[0]["inst"]["edge_note"].startswith("diverged at step 66")
    assert "no stability edge is known for Lion" in runs[3]["inst"]["edge_note"]


def test_the_arrays_travel_only_while_the_chart_is_on_and_switching_sends_them():
    state = _state([_run("gd", lr=1.9)], show=())
    out = _load(state)
    assert "inst" not in out["paths"]["runs"][0]
    on = respond(out["state"], {"kind": "show", "value": ["edge"]})
    assert on["state"]["show"] == ["edge"] and on["paths"] is not no_update
    sent = on["paths"]["runs"][0] if isinstance(on["paths"], dict) else None
    assert sent is not None and sent["inst"]["edge_limit"] == 2.0  # a whole new payload: new arrays
    off = respond(on["state"], {"kind": "show", "value": []})
    assert "inst" not in off["paths"]["runs"][0]


def test_an_edge_payload_is_strict_json_even_when_a_run_blows_up():
    state = _state([_run("gd", lr=10.0), _run("adam", lr=10.0)], steps=200)
    out = _load(state)
    for run in out["paths"]["runs"]:
        limit = run["inst"]["edge_limit"]
        assert limit is None or math.isfinite(limit)
        assert isinstance(run["inst"]["edge_note"], str)


def test_the_own_edge_lesson_switches_the_chart_on_and_shows_each_runs_share():
    state, errors = teach.lesson_state("own-edge")
    assert errors == [] and state["show"] == ["edge"]
    out = respond(None, {"kind": "load", "search": "?lesson=own-edge"})
    runs = out["paths"]["runs"]
    assert [r["inst"]["edge_limit"] for r in runs] == [2.0, 3.2, 16 / 11]
    shares = [decode_f4(r["live"]["values"]) for r in runs]
    np.testing.assert_allclose([s[0] for s in shares], [1.9 / 2, 3.0 / 3.2, 1.5 / (16 / 11)], rtol=1e-6)
    assert out["paths"]["lesson_live"]["kind"] == "pct"


# ------------------------------------------------------------ flows


EOS = {"key": "edge_of_stability", "params": {"c": 0.01}}


def test_the_flows_are_a_path_instrument_with_a_legend_and_notes():
    flows_inst = registry.BY_NAME["flows"]
    assert flows_inst.where == "path" and flows_inst.notes and "central flow" in flows_inst.legend
    assert registry.PATHS[:2] == ("flows", "batch") and registry.export()["paths"] == list(registry.PATHS)
    legend, batch_legend, *_ = layout.path_legends()
    assert getattr(batch_legend, "data-legend") == "batch"
    assert legend.hidden is True and getattr(legend, "data-legend") == "flows"
    assert legend.children[0].children == flows_inst.legend
    assert getattr(legend.children[1], "data-notes") == "flows"


def test_a_gradient_descent_run_carries_both_flows_and_other_runs_say_why_not():
    state = _state([_run("gd", lr=0.1), _run("adam", lr=0.01)], show=("flows",), surface=EOS, steps=600,
                   start=(4.0, 0.1), noise=1e-5)
    out = _load(state)
    gd, adam = out["paths"]["runs"]
    traj = trajectory(out["state"], 0)
    described = flows.describe(traj, make_surface(out["state"]["surface"]), optimizers.REGISTRY["gd"])
    np.testing.assert_allclose(decode_f4(gd["inst"]["gf_x"]), described.gradient.xy[:, 0], rtol=1e-6)
    np.testing.assert_allclose(decode_f4(gd["inst"]["cf_y"]), described.central.xy[:, 1], atol=1e-7)
    np.testing.assert_allclose(decode_f4(gd["inst"]["cf_s"]), described.central.sigma, rtol=1e-6)
    assert len(decode_f4(gd["inst"]["cf_ux"])) == traj.steps + 1
    assert gd["inst"]["flows_note"] == described.note and "central flow (dashed) reaches the edge" in described.note
    assert set(adam["inst"]) == {"flows_note"}
    assert adam["inst"]["flows_note"] == "the flows describe gradient descent; Adam steps otherwise."


def test_the_flows_are_computed_once_per_run():
    state = _state([_run("gd", lr=0.1)], show=("flows",), surface=EOS, steps=200, start=(4.0, 0.1))
    traj, surface = trajectory(state, 0), make_surface(state["surface"])
    assert engine.flows_of(traj, surface) is engine.flows_of(traj, surface)


def test_the_edge_of_stability_lesson_loads_its_noise_and_both_instruments():
    state, errors = teach.lesson_state("edge-of-stability")
    assert errors == [] and state["show"] == ["flows", "edge"] and state["noise"] == 1e-5
    out = respond(None, {"kind": "load", "search": "?lesson=edge-of-stability"})
    (run,) = out["paths"]["runs"]
    assert {"gf_x", "cf_x", "cf_s", "edge", "edge_note", "flows_note"} <= set(run["inst"])
    live = decode_f4(run["live"]["values"])
    hess = make_surface(state["surface"]).hess(np.array([4.0, 0.1]))  # [[y^2, 2xy], [2xy, 1 + x^2]]
    assert live[0] == np.float32(np.linalg.eigvalsh(hess).max())  # the sharpness at the start, about 17


# ------------------------------------------------------------ theory beside measurement


VALLEY50 = {"key": "valley", "params": {"condition": 50.0, "angle": 0.0}}


def test_the_theory_panel_is_a_registry_panel_the_browser_fills():
    inst = registry.BY_NAME["theory"]
    assert inst.where == "panel" and inst.needs == frozenset({"theory"})
    (box,) = layout.panel_boxes()
    assert box.hidden is True and getattr(box, "data-panel") == "theory"
    assert box.children[1].className == "panel-body"


def test_each_run_carries_its_rows_formatted_from_the_engine():
    lr, rho = optimizers.theory.gd_optimal([0.02, 1.0])
    state = _state([_run("gd", lr=lr), _run("lion", lr=0.1), _run("rmsprop", lr=0.1)], show=("theory",),
                   surface=VALLEY50, steps=300)
    out = _load(state)
    gd, lion, rms = (r["inst"]["theory"] for r in out["paths"]["runs"])
    assert gd["reason"] is None
    what, predicted, measured, gap, note = gd["rows"][0]
    assert what.startswith("rate per step") and predicted == measured == "0.96078" and gap == "+0.00%"
    assert note.startswith("measured: the distance to the minimum")
    assert lion["rows"] == [] and lion["reason"].startswith("no formula is known for Lion")
    assert rms["rows"][0][1] == "1" and rms["rows"][0][0].startswith("condition number its rates leave")
    facts = {row[0]: row[1] for row in gd["surface"]}
    assert facts["condition number κ = λ1/λn"] == "50" and facts["‖H‖₁,₁ = Σ|Hij|"] == "1.02"
    assert gd["surface"] == lion["surface"]


def test_off_a_quadratic_the_panel_says_why():
    state = _state([_run("gd", lr=1e-3)], show=("theory",), surface={"key": "rosenbrock", "params": {}},
                   start=(-1.2, 1.0), steps=20)
    payload = _load(state)["paths"]["runs"][0]["inst"]["theory"]
    assert payload["rows"] == [] and payload["surface"] == [] and "not one" in payload["reason"]


def test_the_surface_facts_beside_the_rotation_slider_follow_the_angle():
    aligned = respond(None, {"kind": "load", "search": encode_url(_state([_run("gd", lr=1.0)], show=(),
                                                                      surface=VALLEY50))})
    assert "κ_J = (1 + |r|)/(1 − |r|) = 1 (r = 0)" in str(aligned["surface_info"])
    turned = respond(aligned["state"], {"kind": "sparam", "name": "angle", "value": 45.0})
    text = str(turned["surface_info"])
    assert "κ_J = (1 + |r|)/(1 − |r|) = 50" in text and "‖H‖₁,₁ = 2" in text
    rosen = _state([_run("gd", lr=1e-3)], show=(), surface={"key": "rosenbrock", "params": {}}, start=(-1.2, 1.0))
    assert "κ_J" not in str(respond(None, {"kind": "load", "search": encode_url(rosen)})["surface_info"])


def test_the_theory_rates_lesson_shows_the_panel_with_its_numbers():
    out = respond(None, {"kind": "load", "search": "?lesson=theory-rates"})
    assert out["state"]["show"] == ["theory"]
    gd, hb = (r["inst"]["theory"]["rows"] for r in out["paths"]["runs"])
    assert gd[0][1:3] == ["0.96078", "0.96078"]
    assert hb[0][1:3] == ["0.7522", "0.76543"] and hb[1][2] == "0.75429"


# ------------------------------------------------------------ real data, minibatches


TIPS8 = {"key": "tips_linear", "params": {"batch": 8}}


def test_a_data_surface_gets_its_batch_size_control_from_its_parameter():
    out = _load(_state([_run("gd", lr=0.15)], show=(), surface=TIPS8, start=(3.5, 2.5), steps=50))
    controls = str(out["surface_params"])
    assert "batch size" in controls and "'name': 'batch'" in controls
    assert out["paths"]["controls"]["sparam"]["batch"][0] == "8"
    bigger = respond(out["state"], {"kind": "sparam", "name": "batch", "value": 61})
    assert bigger["state"]["surface"]["params"]["batch"] == 61 and bigger["paths"] is not no_update
    refused = respond(out["state"], {"kind": "sparam_text", "name": "batch", "value": "2.5"})
    assert refused["state"]["surface"]["params"]["batch"] == 8 and "whole number" in str(refused["surface_message"])


def test_each_run_carries_its_minibatch_view_from_the_engine():
    state = _state([_run("gd", lr=0.15), _run("adam", lr=0.05)], show=("batch",), surface=TIPS8, start=(3.5, 2.5),
                   steps=120, seed=3)
    out = _load(state)
    surface = make_surface(state["surface"])
    for index, run in enumerate(out["paths"]["runs"]):
        traj = trajectory(state, index)
        view = minibatch_view(surface.stochastic, traj.xy, traj.lr, 3)
        inst = run["inst"]
        assert inst["batch_stride"] == view.stride == 1 and inst["batch_k"] == 16
        np.testing.assert_allclose(decode_f4(inst["cloud_x"]), view.cloud[..., 0].ravel(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(decode_f4(inst["bmin_y"]), view.minimizer[:, 1], rtol=1e-6)
        assert inst["batch_note"].startswith("minibatches of 8 of 244: their gradients scatter about the full one")


def test_without_a_data_set_the_minibatch_view_says_why_and_a_full_batch_is_exact():
    out = _load(_state([_run("gd", lr=1.0)], show=("batch",)))
    assert out["paths"]["runs"][0]["inst"] == {
        "batch_note": "this surface has no data set: its only noise is the Gaussian noise slider's."}
    full = _load(_state([_run("gd", lr=0.15)], show=("batch",), surface={"key": "tips_linear", "params": {}},
                        start=(3.5, 2.5), steps=40))
    inst = full["paths"]["runs"][0]["inst"]
    assert inst["batch_note"].startswith("the full batch of 244: every gradient is exact")
    cloud = decode_f4(inst["cloud_x"]).reshape(-1, 16)
    np.testing.assert_allclose(cloud, cloud[:, :1].repeat(16, axis=1), rtol=1e-6)  # all 16 batches are the full one


def test_the_minibatch_lesson_compares_a_batch_of_8_with_the_full_batch():
    out = respond(None, {"kind": "load", "search": "?lesson=minibatch-noise"})
    assert out["state"]["surface"] == TIPS8 and out["state"]["compare"] == {"batch": 244}
    assert out["paths"]["runs"][0]["inst"]["batch_note"].startswith("minibatches of 8 of 244")
    assert [p["twin"] for p in out["paths"]["panels"]] == [False, True]


# ------------------------------------------------------------ Adam's counterexample


def test_the_online_counterexample_runs_in_the_app_inside_its_box():
    out = respond(None, {"kind": "load", "search": "?lesson=adam-forgets"})
    state = out["state"]
    assert state["surface"] == {"key": "reddi", "params": {"c": 10.0}} and state["show"] == ["lr"]
    assert out["paths"]["bounds"] == [[-1.0, 1.0], [-1.0, 1.0]]
    xs = [decode_f4(run["x"]) for run in out["paths"]["runs"]]
    assert all(abs(x).max() <= 1.0 for x in xs)
    assert xs[0][-1] == 1.0 and xs[1][-1] < -0.99  # Adam at the worst point, AMSGrad at the best
    assert "AMSGrad at −1" in str(out["surface_info"]) and "projected back into x ∈ [−1, 1]" in str(out["surface_info"])


# ------------------------------------------------------------ n dimensions through a plane


def test_the_n_dimensional_quadratic_runs_in_the_app_and_a_fan_is_refused_with_a_reason():
    out = respond(None, {"kind": "load", "search": "?lesson=high-dimensions"})
    assert out["state"]["compare"] == {"turn": 3.0} and len(out["paths"]["runs"]) == 2
    gd_main, gd_twin = out["paths"]["runs"][0], out["paths"]["twin"]["runs"][0]
    np.testing.assert_allclose(decode_f4(gd_main["loss"]), decode_f4(gd_twin["loss"]), rtol=1e-6)
    controls = str(out["surface_params"])
    assert "dimensions n" in controls and "rotation θ" in controls
    fan = respond(out["state"], {"kind": "noise", "value": 0.5})
    fan = respond(fan["state"], {"kind": "fan", "value": 5})
    assert "one run at a time" in str(fan["alerts"])

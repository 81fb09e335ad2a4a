"""ui/serving/server.py as plain functions and on Flask's test client: configuration from the
environment, the header set, error pages, the body limit and the callback-envelope check."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask

from descent_lab.ui.serving.server import (
    BadCallbackRequest,
    Config,
    check_callback_body,
    content_security_policy,
    error_headers,
    harden,
    parse_frame_ancestors,
    security_headers,
    warm,
)

# ------------------------------------------------------------------------------ config


def test_defaults():
    config = Config.from_env({})
    assert (config.host, config.port, config.workers, config.threads) == ("127.0.0.1", 8050, 2, 4)
    assert (config.log_level, config.frame_ancestors, config.max_body_bytes, config.debug) == \
        ("info", (), 1_000_000, False)


@pytest.mark.parametrize("env,field,value", [
    ({"HOST": "0.0.0.0"}, "host", "0.0.0.0"),
    ({"PORT": "9000"}, "port", 9000),
    ({"WORKERS": "8"}, "workers", 8),
    ({"THREADS": " 2 "}, "threads", 2),
    ({"LOG_LEVEL": "WARNING"}, "log_level", "warning"),
    ({"MAX_BODY_BYTES": "200000"}, "max_body_bytes", 200_000),
    ({"FRAME_ANCESTORS": "https://course.example.org/ https://lms.example.edu:8443"}, "frame_ancestors",
     ("https://course.example.org", "https://lms.example.edu:8443")),
    ({"FRAME_ANCESTORS": "'self', https://*.example.org"}, "frame_ancestors", ("https://*.example.org",)),
    ({"FRAME_ANCESTORS": "'none'"}, "frame_ancestors", ("'none'",)),
    ({"PORT": ""}, "port", 8050),
])
def test_each_variable(env, field, value):
    assert getattr(Config.from_env(env), field) == value


@pytest.mark.parametrize("env,words", [
    ({"PORT": "80a"}, "PORT must be a whole number"),
    ({"PORT": "70000"}, "PORT must be between 1 and 65,535"),
    ({"WORKERS": "0"}, "WORKERS must be between 1 and 64"),
    ({"THREADS": "1.5"}, "THREADS must be a whole number"),
    ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL must be one of"),
    ({"MAX_BODY_BYTES": "10"}, "MAX_BODY_BYTES must be between"),
    ({"HOST": "a b"}, "HOST must be"),
    ({"FRAME_ANCESTORS": "*"}, "FRAME_ANCESTORS: '*' is not an origin"),
    ({"FRAME_ANCESTORS": "https:"}, "is not an origin"),
    ({"FRAME_ANCESTORS": "https://a.org/page"}, "is not an origin"),
    ({"FRAME_ANCESTORS": "javascript:alert(1)"}, "is not an origin"),
    ({"FRAME_ANCESTORS": "https://a.org;script-src"}, "is not an origin"),  # no header injection
    ({"FRAME_ANCESTORS": "'none' https://a.org"}, "'none' cannot be combined"),
])
def test_malformed_values_stop_the_server_with_a_sentence(env, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace("*", r"\*")):
        Config.from_env(env)


@pytest.mark.parametrize("env,debug,note", [
    ({"DASH_DEBUG": "1"}, True, None),
    ({"DASH_DEBUG": "0"}, False, None),
    ({"DASH_DEBUG": "true"}, False, "needs exactly DASH_DEBUG=1"),
    ({"DASH_DEBUG": "yes"}, False, "needs exactly DASH_DEBUG=1"),
    ({"DASH_DEBUG": "1", "SERVER_SOFTWARE": "gunicorn/23.0.0"}, False, "never enabled under gunicorn"),
    ({"DASH_DEBUG": "1", "HOST": "0.0.0.0"}, False, "only binds to loopback"),
    ({"DASH_DEBUG": "1", "HOST": "::1"}, True, None),
])
def test_debug_needs_exactly_1_loopback_and_no_gunicorn(env, debug, note):
    config = Config.from_env(env)
    assert config.debug is debug
    assert (note is None and not config.notes) or any(note in n for n in config.notes)


def test_frame_ancestors_and_x_frame_options_agree():
    self_only = security_headers(Config())
    assert "frame-ancestors 'self'" in self_only["Content-Security-Policy"]
    assert self_only["X-Frame-Options"] == "SAMEORIGIN"
    course = security_headers(Config(frame_ancestors=parse_frame_ancestors("https://course.example.org")))
    assert "frame-ancestors 'self' https://course.example.org" in course["Content-Security-Policy"]
    assert "X-Frame-Options" not in course  # SAMEORIGIN would block the course's page
    nobody = security_headers(Config(frame_ancestors=("'none'",)))
    assert "frame-ancestors 'none'" in nobody["Content-Security-Policy"]
    assert nobody["X-Frame-Options"] == "DENY"


def test_scripts_only_from_self_and_by_hash():
    csp = content_security_policy(Config(), ["'sha256-abc='"])
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert script_src == "script-src 'self' 'sha256-abc='"
    assert "'unsafe-eval'" not in csp


# ------------------------------------------------------------------------------ on a Flask app


@pytest.fixture
def bare():
    flask_app = Flask("bare")

    @flask_app.route("/boom")
    def boom():
        raise RuntimeError("secret detail: /etc/descent.conf")

    @flask_app.route("/echo", methods=["POST"])
    def echo():
        from flask import request

        return str(len(request.get_data()))

    harden(flask_app, Config(max_body_bytes=16_384))
    return flask_app


def test_no_stack_trace_reaches_the_client_and_the_log_has_it(bare, caplog):
    with caplog.at_level(logging.ERROR):
        reply = bare.test_client().get("/boom")
    assert reply.status_code == 500
    assert reply.get_json() == {"error": "Internal server error. It was logged; the page keeps working."}
    assert b"secret" not in reply.data and b"Traceback" not in reply.data
    assert "RuntimeError: secret detail" in caplog.text and "Traceback" in caplog.text
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_body_limit_413(bare):
    client = bare.test_client()
    assert client.post("/echo", data=b"x" * 16_000).status_code == 200
    reply = client.post("/echo", data=b"x" * 20_000)
    assert reply.status_code == 413
    assert reply.get_json() == {"error": "Request body too large (limit 16,384 bytes)."}
    assert "Content-Security-Policy" in reply.headers


def test_http_errors_are_short_json_with_headers(bare):
    client = bare.test_client()
    reply = client.get("/nowhere")
    assert reply.status_code == 404 and reply.get_json() == {"error": "Not Found"}
    assert reply.headers["X-Frame-Options"] == "SAMEORIGIN"
    reply = client.get("/echo")
    assert reply.status_code == 405 and "POST" in reply.headers["Allow"]


def test_healthz_added_once(bare):
    assert bare.test_client().get("/healthz").data == b"ok"
    harden(bare, Config())  # a second call changes nothing
    assert sum(rule.rule == "/healthz" for rule in bare.url_map.iter_rules()) == 1

    own = Flask("own")
    own.add_url_rule("/healthz", "mine", lambda: "mine")
    harden(own, Config())
    assert own.test_client().get("/healthz").data == b"mine"


# ------------------------------------------------------------------------------ the envelope

MAP = {
    "..a.data...b.children..": {"callback": lambda: None, "inputs": [
        {"id": "x", "property": "value"}, {"id": '{"i":["ALL"],"type":"t"}', "property": "value"}],
        "state": [{"id": "s", "property": "data"}]},
    "c.children": {"inputs": [{"id": "y", "property": "n_clicks"}], "state": []},  # clientside
}


def _good():
    return {
        "output": "..a.data...b.children..",
        "outputs": [{"id": "a", "property": "data"}, {"id": "b", "property": "children"}],
        "inputs": [{"id": "x", "property": "value", "value": 1},
                   [{"id": {"type": "t", "i": 0}, "property": "value", "value": "v"}]],
        "state": [{"id": "s", "property": "data", "value": {"any": ["thing", None]}}],
        "changedPropIds": ['{"i":0,"type":"t"}.value'],
    }


def test_a_renderer_shaped_body_passes():
    check_callback_body(_good(), MAP)
    body = _good()
    body["inputs"][1] = []  # no component matches the pattern yet
    body["changedPropIds"] = ["x.value"]
    body.pop("state")
    body["state"] = [{"id": "s", "property": "data"}]  # undefined value: no "value" key
    check_callback_body(body, MAP)


def _mutate(path, value):
    body = _good()
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


@pytest.mark.parametrize("body,words", [
    ([], "must be a JSON object"),
    (_mutate(["output"], KeyError), "Unknown callback output"),
    (_mutate(["output"], "c.children"), "Unknown callback output"),  # clientside: no server function
    (_mutate(["output"], ["x"]), "Unknown callback output"),
    (_mutate(["outputs"], KeyError), "outputs must be a list of 2"),
    (_mutate(["outputs", 1], "b.children"), "outputs[1] must be an object"),
    (_mutate(["inputs"], {"x": 1}), "inputs must be a list of 2"),
    (_mutate(["inputs", 0], []), "inputs[0] must be an object"),
    (_mutate(["inputs", 1], {"id": "t", "property": "value"}), "inputs[1] must be a list"),
    (_mutate(["inputs", 0, "id"], KeyError), "inputs[0].id must be"),
    (_mutate(["inputs", 0, "id"], {"a": [1]}), "inputs[0].id must be"),
    (_mutate(["inputs", 0, "property"], 3), "inputs[0].property must be"),
    (_mutate(["state"], []), "state must be a list of 1"),
    (_mutate(["changedPropIds"], "x.value"), "changedPropIds must be a list of strings"),
    (_mutate(["changedPropIds"], ['{"i":0,"type":.value']), "must name inputs of this request"),
    (_mutate(["changedPropIds"], ["s.data"]), "must name inputs of this request"),
    (_mutate(["state", 0, "value"], json.loads("[" * 60 + "]" * 60)), "nested too deeply"),
])
def test_malformed_envelopes_are_refused(body, words):
    with pytest.raises(BadCallbackRequest, match=words.replace("[", r"\[").replace("]", r"\]")):
        check_callback_body(body, MAP)


# ------------------------------------------------------------------------------ the front's settings


@pytest.mark.parametrize("env,field,value", [
    ({}, "front", "nginx"),
    ({"FRONT": "None"}, "front", "none"),
    ({}, "client_connections", 256),
    ({"CLIENT_CONNECTIONS": "1000"}, "client_connections", 1000),
    ({}, "trusted_proxies", ()),
    ({"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 fd00::/8 10.0.0.0/8"}, "trusted_proxies",
     ("10.0.0.0/8", "192.168.1.7/32", "fd00::/8")),
    ({"TRUSTED_PROXIES": "10.1.2.3/8"}, "trusted_proxies", ("10.0.0.0/8",)),  # host bits dropped
])
def test_front_variables(env, field, value):
    assert getattr(Config.from_env(env), field) == value


@pytest.mark.parametrize("env,words", [
    ({"FRONT": "apache"}, "FRONT must be one of nginx, none"),
    ({"CLIENT_CONNECTIONS": "2"}, "CLIENT_CONNECTIONS must be between 8 and 100,000"),
    ({"TRUSTED_PROXIES": "everyone"}, "TRUSTED_PROXIES: 'everyone' is not an IP address"),
    ({"TRUSTED_PROXIES": "10.0.0.0/8;deny"}, "is not an IP address"),  # nothing reaches nginx's file
])
def test_malformed_front_values_stop_the_server(env, words):
    with pytest.raises(ValueError, match=words):
        Config.from_env(env)


def test_replies_made_outside_the_app_get_the_strictest_headers():
    strict = error_headers()
    assert set(strict) == set(security_headers(Config())), "the same header names as the app's"
    assert strict["Content-Security-Policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in strict["Content-Security-Policy"]
    assert strict["X-Frame-Options"] == "DENY" and strict["X-Content-Type-Options"] == "nosniff"


# ------------------------------------------------------------------------------ outputs


PATTERN_MAP = {
    '..{"run":["ALL"],"type":"status"}.children...alerts.children@3fa2..': {
        "callback": lambda: None, "inputs": [{"id": "x", "property": "value"}], "state": []},
    '{"run":["MATCH"],"type":"label"}.children': {
        "callback": lambda: None, "inputs": [{"id": '{"run":["MATCH"],"type":"slider"}', "property": "value"}],
        "state": []},
}


def _pattern_body(outputs):
    return {"output": '..{"run":["ALL"],"type":"status"}.children...alerts.children@3fa2..', "outputs": outputs,
            "inputs": [{"id": "x", "property": "value", "value": 1}], "changedPropIds": ["x.value"]}


def test_outputs_matching_the_callback_pass():
    check_callback_body(_pattern_body([[{"id": {"type": "status", "run": 0}, "property": "children"},
                                        {"id": {"type": "status", "run": 3}, "property": "children"}],
                                       {"id": "alerts", "property": "children"}]), PATTERN_MAP)
    check_callback_body(_pattern_body([[], {"id": "alerts", "property": "children"}]), PATTERN_MAP)
    # the renderer sends an allow_duplicate output's hash with its property
    check_callback_body(_pattern_body([[], {"id": "alerts", "property": "children@3fa2"}]), PATTERN_MAP)
    body = _good()
    body["outputs"][0]["property"] = "data@123"
    check_callback_body(body, MAP)
    check_callback_body({"output": '{"run":["MATCH"],"type":"label"}.children',
                         "outputs": {"id": {"type": "label", "run": 2}, "property": "children"},
                         "inputs": [{"id": {"type": "slider", "run": 2}, "property": "value", "value": 1}],
                         "changedPropIds": ['{"run":2,"type":"slider"}.value']}, PATTERN_MAP)


@pytest.mark.parametrize("outputs,words", [
    ([{"id": "a", "property": "dataa"}, {"id": "b", "property": "children"}], r"outputs\[0\] does not name"),
    ([{"id": "b", "property": "children"}, {"id": "a", "property": "data"}], r"outputs\[0\] does not name"),
    ([{"id": "a", "property": "data"}, {"id": "nope", "property": "children"}], r"outputs\[1\] does not name"),
    ([{"id": {"a": 1}, "property": "data"}, {"id": "b", "property": "children"}], r"outputs\[0\] does not name"),
])
def test_outputs_that_are_not_the_callbacks_are_refused(outputs, words):
    body = _good()
    body["outputs"] = outputs
    with pytest.raises(BadCallbackRequest, match=words):
        check_callback_body(body, MAP)


@pytest.mark.parametrize("outputs,words", [
    ([{"id": {"type": "status", "run": 0}, "property": "children"}, {"id": "alerts", "property": "children"}],
     r"outputs\[0\] must be a list"),
    ([[{"id": {"type": "label", "run": 0}, "property": "children"}], {"id": "alerts", "property": "children"}],
     r"outputs\[0\]\[0\] does not name"),
    ([[{"id": {"type": "status", "run": 0, "x": 1}, "property": "children"}],
      {"id": "alerts", "property": "children"}], r"outputs\[0\]\[0\] does not name"),
    ([[{"id": {"type": "status", "run": 0}, "property": "value"}], {"id": "alerts", "property": "children"}],
     r"outputs\[0\]\[0\] does not name"),
    ([[], {"id": "alerts", "property": "childre@3fa2"}], r"outputs\[1\] does not name"),
])
def test_pattern_outputs_that_are_not_the_callbacks_are_refused(outputs, words):
    with pytest.raises(BadCallbackRequest, match=words):
        check_callback_body(_pattern_body(outputs), PATTERN_MAP)


# ------------------------------------------------------------------------------ on a Dash app


def _small_dash_app(debug: bool = False):
    import dash
    from dash import Input, Output, dcc, html

    application = dash.Dash("small", assets_folder="/nonexistent")
    application.layout = html.Div([dcc.Input(id="x", value="a"), html.Div(id="y"), dcc.Graph(id="g")])

    @application.callback(Output("y", "children"), Input("x", "value"))
    def echo(value):
        return value

    harden(application, Config(debug=debug))
    return application


def test_only_the_app_paths_are_served():
    client = _small_dash_app().server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/?surface=valley").status_code == 200
    for path in ("/nope", "/a/b/c", "/index.html", "/_reload-hash"):
        reply = client.get(path)
        assert reply.status_code == 404 and reply.get_json() == {"error": "Not Found"}, path
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get("/nope", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html" and b'href="/"' in page.data
    for path in ("/_dash-layout", "/_dash-dependencies", "/healthz", "/_favicon.ico"):
        assert client.get(path).status_code == 200, path


def test_debug_mode_keeps_the_hot_reload_route():
    assert _small_dash_app(debug=True).server.test_client().get("/_reload-hash").status_code == 200


def test_warm_serves_the_page_and_every_script_once():
    import sys

    application = _small_dash_app()
    assert application._got_first_request["setup_server"] is False
    sys.modules.pop("colorsys", None)  # a module nothing here has imported yet
    results = warm(application.server, imports=("colorsys",))
    assert "colorsys" in sys.modules
    paths = [path for path, _ in results]
    assert all(status == 200 for _, status in results), results
    assert paths[0] == "/" and "/_dash-layout" in paths and "/_dash-dependencies" in paths
    assert sum(p.startswith("/_dash-component-suites/") for p in paths) >= 5  # react, renderer, dcc, html...
    assert application._got_first_request["setup_server"] is True


def test_after_warm_concurrent_first_requests_all_find_their_scripts():
    """Without the warm-up, requests arriving while the first one runs Dash's set-up can
    get a 404 for a script (the set-up is marked done before the scripts are registered)."""
    import threading

    application = _small_dash_app()
    warm(application.server)
    scripts = [p for p, _ in warm(application.server) if p.startswith("/_dash-component-suites/")]
    statuses, lock = [], threading.Lock()

    def fetch(path):
        status = application.server.test_client().get(path).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=fetch, args=(path,)) for path in scripts * 8]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == len(scripts) * 8 and set(statuses) == {200}

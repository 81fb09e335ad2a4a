"""Production hardening for the Flask server under the Dash app: configuration from the
environment, security headers, a request body limit, a strict check of callback
requests, error pages without stack traces, and ``/healthz``.

Wiring (``app.py``)::

    from descent_lab.ui.serving.server import Config, harden
    CONFIG = Config.from_env()
    harden(app, CONFIG)            # the Dash app (for its CSP hashes) or a bare Flask server

``gunicorn.conf.py`` reads the same :class:`Config`, so the image, ``scripts/serve.sh``
and ``python app.py`` agree on every setting and refuse the same bad values.

Environment
-----------
``HOST`` (127.0.0.1), ``PORT`` (8050), ``WORKERS`` (2), ``THREADS`` (4),
``LOG_LEVEL`` (info), ``FRAME_ANCESTORS`` (empty: only the app's own origin may embed
it), ``MAX_BODY_BYTES`` (1,000,000), ``DASH_DEBUG`` (off); the request budget
(``ui/serving/budget.py``): ``REQUEST_SECONDS`` (2), ``HEAVY_REQUESTS`` (1 per worker); the front
(``scripts/serve.sh``, ``deploy/``): ``FRONT`` (nginx, or none), ``CLIENT_CONNECTIONS``
(256), ``TRUSTED_PROXIES`` (none). A malformed value stops the
server at start with a sentence naming the variable, rather than running with a guess.

Debug mode cannot be switched on by accident in production: it needs ``DASH_DEBUG``
to be exactly ``1`` *and* the process not to be gunicorn (the image always is) *and*
``HOST`` to be a loopback address. Anything else ("true", "yes", a debug flag under
gunicorn, debug on 0.0.0.0) leaves it off and logs why.

Content-Security-Policy
-----------------------
Checked in real headless Chromium with the policy enforced (``tests/server/
test_csp_browser.py``: the page loads, MathJax and Plotly render, animation and
callbacks run, and no ``securitypolicyviolation`` event or console error occurs)::

    default-src 'self'; script-src 'self' 'sha256-...'; style-src 'self' 'unsafe-inline';
    img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self';
    form-action 'self'; frame-ancestors 'self' ...

* ``script-src 'self'`` plus the SHA-256 hashes of the page's inline scripts
  (``app.csp_hashes()``: the renderer's one-line start-up script and the inline
  clientside callbacks). No ``'unsafe-inline'`` and no ``'unsafe-eval'`` for scripts:
  Dash 4's renderer, the clientside callbacks in ``assets/``, Plotly 7 (contour,
  scatter, ``Plotly.react``) and dcc.Markdown's bundled MathJax 3 (SVG output) all run
  without ``eval`` (the only ``new Function`` in those bundles is webpack's
  ``globalThis`` fallback, never reached in a current browser).
* ``style-src 'unsafe-inline'``: Plotly injects ``<style>`` rules and sets ``style``
  attributes on its SVG, MathJax injects its SVG stylesheet, and React/Dash components
  set inline styles. Inline *styles* cannot run code; a nonce is not possible because
  these are created at runtime by library code (the browser test shows the violations
  without it).
* ``img-src data: blob:``: the PNG export draws ``Plotly.toImage``'s ``data:`` image
  into a canvas and saves it through a ``blob:`` URL. Fonts fall under
  ``default-src 'self'``: none is needed from anywhere else (MathJax renders SVG).
* ``connect-src 'self'``: the renderer's ``fetch`` to ``/_dash-layout``,
  ``/_dash-dependencies`` and ``/_dash-update-component``. Nothing else: MathJax's
  optional speech rules on a CDN are never requested (and would be refused).
* ``frame-ancestors``: ``'self'`` plus the origins in ``FRAME_ANCESTORS``
  (``'none'`` forbids embedding entirely). ``X-Frame-Options`` is sent only when it
  agrees with that policy (``SAMEORIGIN`` for self only, ``DENY`` for none) and is
  left out when other origins are allowed, since it cannot express them.

Other headers: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``
(the page URL carries the app state; other sites get no referrer), and a
``Permissions-Policy`` denying camera, microphone, geolocation, payment and USB.
HSTS is left to whatever terminates TLS in front of the app.

Callback requests
-----------------
Dash's dispatcher assumes a well-formed body and raises (a 500) on a missing field, a
wrong shape, an unknown or clientside-only callback key or a ``changedPropIds`` entry
that is not valid JSON. Such a body is never sent by the renderer, so
:func:`check_callback_body` answers it with ``400 {"error": ...}`` before Dash sees it.
It checks the envelope only (fields, list lengths per the callback's
inputs/state/outputs, the ``{"id", "property"}`` items, nesting depth); the *values*
are the app's to judge, and it answers bad ones with a message in the page.
"""

from __future__ import annotations

import importlib
import ipaddress
import json
import logging
import math
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Mapping

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

try:
    from dash.exceptions import DependencyException
except ImportError:  # the server module also guards a bare Flask server
    DependencyException = None

log = logging.getLogger("descent_lab.server")

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
FRONTS = ("nginx", "none")
DEFAULT_MAX_BODY_BYTES = 1_000_000
# Deepest JSON nesting a real callback request reaches is about 8 (envelope, an input
# list, a pattern-matching list, the state store's runs and their settings); anything
# far deeper is hostile and would only exercise recursion in the JSON and app code.
MAX_BODY_DEPTH = 48
CALLBACK_PATH = "/_dash-update-component"

_ORIGIN = re.compile(
    r"^(?P<scheme>https?)://(?P<host>(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>\d{1,5}|\*))?$"
)


# ------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------

def under_gunicorn(environ: Mapping[str, str] | None = None) -> bool:
    """True inside a gunicorn master or worker (its arbiter sets SERVER_SOFTWARE)."""
    if environ is None or environ is os.environ:
        if "gunicorn.arbiter" in sys.modules:
            return True
        environ = os.environ
    return environ.get("SERVER_SOFTWARE", "").startswith("gunicorn")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise ValueError(f"{name} must be a whole number between {low:,} and {high:,}, got {raw!r}.") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:,} and {high:,}, got {value:,}.")
    return value


def _seconds(environ: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds between {low:g} and {high:g}, got {raw!r}.") from None
    if not low <= value <= high:  # NaN fails this too
        raise ValueError(f"{name} must be between {low:g} and {high:g} seconds, got {raw}.")
    return value


def _heavy(environ: Mapping[str, str], threads: int) -> int:
    """Heavy requests at once per worker: fewer than its threads, so that a slider move
    always finds one free (with a single thread, one)."""
    high = max(1, threads - 1)
    value = _int(environ, "HEAVY_REQUESTS", 1, 1, 64)
    if value > high:
        raise ValueError(f"HEAVY_REQUESTS must be at most THREADS - 1 ({high}) so that slider moves always "
                         f"find a free thread, got {value}.")
    return value


def _choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}.")
    return value


def parse_trusted_proxies(raw: str) -> tuple[str, ...]:
    """Networks from ``TRUSTED_PROXIES`` (space- or comma-separated addresses or CIDRs):
    the load balancers or TLS terminators whose ``X-Forwarded-For`` nginx believes, so
    its per-client limits count real clients rather than the proxy."""
    networks = []
    for token in (t for t in re.split(r"[\s,]+", raw.strip()) if t):
        try:
            network = str(ipaddress.ip_network(token, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {token!r} is not an IP address or network such as 10.0.0.0/8.") from None
        if network not in networks:
            networks.append(network)
    return tuple(networks)


def parse_frame_ancestors(raw: str) -> tuple[str, ...]:
    """Origins from ``FRAME_ANCESTORS`` (space- or comma-separated).

    Returns ``()`` for "self only", ``("'none'",)`` to forbid embedding, otherwise the
    normalised origins (``https://course.example.org``, ``https://*.example.org:8443``).
    A path, a bare ``*`` or a scheme alone (``https:``) is refused: list the origins.
    """
    tokens = [t for t in re.split(r"[\s,]+", raw.strip()) if t]
    origins: list[str] = []
    for token in tokens:
        lowered = token.lower()
        if lowered in ("'self'", "self"):
            continue  # always allowed
        if lowered in ("'none'", "none"):
            if len(tokens) > 1:
                raise ValueError("FRAME_ANCESTORS: 'none' cannot be combined with origins.")
            return ("'none'",)
        origin = token.rstrip("/")
        if not _ORIGIN.match(origin):
            raise ValueError(
                f"FRAME_ANCESTORS: {token!r} is not an origin such as https://course.example.org "
                "(scheme and host, optional port, no path; '*' and bare schemes are not accepted)."
            )
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


@dataclass(frozen=True)
class Config:
    """Server settings, from the environment with :meth:`from_env`."""

    host: str = "127.0.0.1"
    port: int = 8050
    workers: int = 2
    threads: int = 4
    log_level: str = "info"
    frame_ancestors: tuple[str, ...] = ()   # besides 'self'; ("'none'",) forbids embedding
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    debug: bool = False
    request_seconds: float = 2.0            # the work one request may do (seconds of a core)
    heavy_requests: int = 1                 # heavy requests at once per worker (ui/serving/budget.py)
    front: str = "nginx"                    # what scripts/serve.sh puts on PORT: "nginx" or "none"
    client_connections: int = 256           # requests in progress per client address (nginx)
    trusted_proxies: tuple[str, ...] = ()   # networks whose X-Forwarded-For nginx believes
    notes: tuple[str, ...] = field(default=(), compare=False)  # why a setting was overridden

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Config":
        """Read and validate the environment; ValueError naming the variable if malformed."""
        env = os.environ if environ is None else environ
        host = env.get("HOST", "").strip() or cls.host
        if any(c.isspace() for c in host) or "/" in host:
            raise ValueError(f"HOST must be an interface address or name, got {host!r}.")
        log_level = (env.get("LOG_LEVEL", "").strip() or cls.log_level).lower()
        if log_level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}.")
        notes: list[str] = []
        asked = env.get("DASH_DEBUG", "").strip()
        debug = asked == "1"
        if asked and not debug and asked.lower() not in ("0", "false", "no", "off"):
            notes.append(f"DASH_DEBUG={asked!r} ignored: debug mode needs exactly DASH_DEBUG=1.")
        if debug and under_gunicorn(env):
            debug = False
            notes.append("DASH_DEBUG=1 ignored: debug mode is never enabled under gunicorn.")
        if debug and not _is_loopback(host):
            debug = False
            notes.append(f"DASH_DEBUG=1 ignored: debug mode only binds to loopback, not HOST={host!r}.")
        threads = _int(env, "THREADS", cls.threads, 1, 64)
        return cls(
            host=host,
            port=_int(env, "PORT", cls.port, 1, 65535),
            workers=_int(env, "WORKERS", cls.workers, 1, 64),
            threads=threads,
            log_level=log_level,
            frame_ancestors=parse_frame_ancestors(env.get("FRAME_ANCESTORS", "")),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 16_384, 100_000_000),
            debug=debug,
            request_seconds=_seconds(env, "REQUEST_SECONDS", cls.request_seconds, 0.1, 60.0),
            heavy_requests=_heavy(env, threads),
            front=_choice(env, "FRONT", cls.front, FRONTS),
            client_connections=_int(env, "CLIENT_CONNECTIONS", cls.client_connections, 8, 100_000),
            trusted_proxies=parse_trusted_proxies(env.get("TRUSTED_PROXIES", "")),
            notes=tuple(notes),
        )


# ------------------------------------------------------------------------------
# headers
# ------------------------------------------------------------------------------

def frame_ancestors_source(config: Config) -> str:
    if config.frame_ancestors == ("'none'",):
        return "'none'"
    return " ".join(("'self'",) + config.frame_ancestors)


def content_security_policy(config: Config, script_hashes: list[str] | tuple[str, ...] = ()) -> str:
    """The CSP header value (see the module docstring for why each source is there)."""
    directives = [
        ("default-src", "'self'"),
        ("script-src", " ".join(("'self'", *script_hashes))),
        ("style-src", "'self' 'unsafe-inline'"),
        ("img-src", "'self' data: blob:"),
        ("connect-src", "'self'"),
        ("object-src", "'none'"),
        ("base-uri", "'self'"),
        ("form-action", "'self'"),
        ("frame-ancestors", frame_ancestors_source(config)),
    ]
    return "; ".join(f"{name} {value}" for name, value in directives)


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def security_headers(config: Config, script_hashes: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(config, script_hashes),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    if config.frame_ancestors == ():
        headers["X-Frame-Options"] = "SAMEORIGIN"
    elif config.frame_ancestors == ("'none'",):
        headers["X-Frame-Options"] = "DENY"
    return headers


# What a reply that is not the app's page gets when the app did not make it (nginx's
# own errors, gunicorn's refusals of malformed HTTP): nothing may load, run or embed.
ERROR_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def error_headers() -> dict[str, str]:
    """The security headers for replies made outside the app (same names as
    :func:`security_headers`, the strictest values)."""
    return {
        "Content-Security-Policy": ERROR_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "X-Frame-Options": "DENY",
    }


# ------------------------------------------------------------------------------
# callback request envelope
# ------------------------------------------------------------------------------

class BadCallbackRequest(ValueError):
    """A callback request the Dash renderer would never send."""


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _is_wildcard_list(spec_id: str) -> bool:
    """An ALL / ALLSMALLER pattern id arrives as a list of concrete items."""
    return spec_id.startswith("{") and ('["ALL"]' in spec_id or '["ALLSMALLER"]' in spec_id)


def _stringify_id(id_: Any) -> str:
    """Dash's own id string (``dash._utils.stringify_id``) for a str or dict id."""
    if isinstance(id_, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(id_[k])}" for k in sorted(id_)) + "}"
    return id_


def _check_item(item: Any, where: str) -> str:
    if not isinstance(item, dict):
        raise BadCallbackRequest(f"{where} must be an object with id and property.")
    id_, prop = item.get("id"), item.get("property")
    if not isinstance(prop, str) or not prop:
        raise BadCallbackRequest(f"{where}.property must be a non-empty string.")
    if isinstance(id_, dict):
        plain = all(isinstance(v, (str, int, bool)) or (isinstance(v, float) and math.isfinite(v))
                    for v in id_.values())
        if not id_ or not plain:
            raise BadCallbackRequest(f"{where}.id must be a string or an object of plain values.")
    elif not isinstance(id_, str) or not id_:
        raise BadCallbackRequest(f"{where}.id must be a string or an object of plain values.")
    return f"{_stringify_id(id_)}.{prop}"


def _check_group(given: Any, specs: list[dict], name: str) -> set[str]:
    if not isinstance(given, list) or len(given) != len(specs):
        raise BadCallbackRequest(f"{name} must be a list of {len(specs)} items for this callback.")
    seen: set[str] = set()
    for index, (item, spec) in enumerate(zip(given, specs)):
        where = f"{name}[{index}]"
        if _is_wildcard_list(spec["id"]):
            if not isinstance(item, list):
                raise BadCallbackRequest(f"{where} must be a list (a pattern-matching input).")
            seen.update(_check_item(sub, f"{where}[{j}]") for j, sub in enumerate(item))
        else:
            seen.add(_check_item(item, where))
    return seen


def _output_specs(key: str) -> list[tuple[str, str]]:
    """(id, property) of each output of a callback key ("..a.b...c.d.." or "a.b");
    the ``@hash`` of an ``allow_duplicate`` output is not part of the property."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        id_, _, prop = part.rpartition(".")
        out.append((id_, prop.split("@")[0]))
    return out


def _matches_output(item: dict, spec_id: str, spec_prop: str) -> bool:
    """Whether a request's output item names this output of the callback, as Dash's
    own check (``dash._validate.validate_output_spec``) would decide: the same
    property (the renderer sends an ``allow_duplicate`` output's ``@hash`` with it),
    the same string id, or for a pattern id the same keys and the same value wherever
    the pattern has no wildcard."""
    if item["property"].split("@")[0] != spec_prop:
        return False
    id_ = item["id"]
    if not spec_id.startswith("{"):
        return id_ == spec_id
    pattern = json.loads(spec_id)
    if not isinstance(id_, dict) or set(id_) != set(pattern):
        return False
    return all(isinstance(want, list) or id_[k] == want for k, want in pattern.items())


def _check_outputs(outputs: Any, key: str) -> None:
    specs = _output_specs(key)
    multi = key.startswith("..")
    if multi and (not isinstance(outputs, list) or len(outputs) != len(specs)):
        raise BadCallbackRequest(f"outputs must be a list of {len(specs)} items for this callback.")
    slots = outputs if multi else [outputs]
    for index, (slot, (spec_id, spec_prop)) in enumerate(zip(slots, specs)):
        where = f"outputs[{index}]" if multi else "outputs"
        if _is_wildcard_list(spec_id):
            if not isinstance(slot, list):
                raise BadCallbackRequest(f"{where} must be a list (a pattern-matching output).")
            items = [(sub, f"{where}[{j}]") for j, sub in enumerate(slot)]
        else:
            items = [(slot, where)]
        for item, at in items:
            _check_item(item, at)
            if not _matches_output(item, spec_id, spec_prop):
                raise BadCallbackRequest(f"{at} does not name an output of this callback.")


def check_callback_body(body: Any, callback_map: Mapping[str, dict]) -> None:
    """Raise :class:`BadCallbackRequest` unless ``body`` is shaped like a renderer request."""
    if not isinstance(body, dict):
        raise BadCallbackRequest("The body must be a JSON object.")
    if _depth_exceeds(body, MAX_BODY_DEPTH):
        raise BadCallbackRequest("The body is nested too deeply.")
    key = body.get("output")
    entry = callback_map.get(key) if isinstance(key, str) else None
    if entry is None or not callable(entry.get("callback")):
        raise BadCallbackRequest("Unknown callback output.")
    _check_outputs(body.get("outputs"), key)
    known = _check_group(body.get("inputs"), entry.get("inputs", []), "inputs")
    _check_group(body.get("state", []), entry.get("state", []), "state")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadCallbackRequest("changedPropIds must be a list of strings.")
    for prop_id in changed:
        if prop_id not in known:
            raise BadCallbackRequest("changedPropIds must name inputs of this request.")


# ------------------------------------------------------------------------------
# wiring
# ------------------------------------------------------------------------------

class _CspCache:
    """The header set, computed at the first request: by then every inline clientside
    callback is registered, so ``app.csp_hashes()`` covers all inline scripts."""

    def __init__(self, app: Any, config: Config):
        self._app, self._config = app, config
        self._headers: dict[str, str] | None = None
        self._lock = threading.Lock()

    def get(self) -> dict[str, str]:
        if self._headers is None:
            with self._lock:
                if self._headers is None:
                    hashes = list(self._app.csp_hashes()) if hasattr(self._app, "csp_hashes") else []
                    self._headers = security_headers(self._config, hashes)
        return self._headers


def _routes_prefix(app: Any) -> str | None:
    """Dash's route prefix ("/" unless the app is mounted under a path); None for a
    bare Flask server."""
    config = getattr(app, "config", None)
    prefix = getattr(config, "routes_pathname_prefix", None) if config is not None else None
    return prefix if isinstance(prefix, str) else None


def _paths_not_served(prefix: str | None, config: Config) -> frozenset[str]:
    if prefix is None:
        return frozenset()
    rules = {prefix + "<path:path>"}  # Dash's catch-all: the page under any path
    if not config.debug:
        rules.add(prefix + "_reload-hash")  # only the debug mode's hot reload asks for it
    return frozenset(rules)


NOT_FOUND_HTML = (
    "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not found</title>"
    "<p>Nothing here. Descent Lab is at <a href=\"{index}\">{index}</a>.</p></html>"
)


def _not_found():
    """A 404: a short page for a browser, ``{"error": "Not Found"}`` for anything else."""
    index = current_app.extensions.get("descent_lab_index", "/")
    if request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]:
        return Response(NOT_FOUND_HTML.format(index=index), status=404, mimetype="text/html")
    return _json_error(404, "Not Found")


def _json_error(status: int, message: str, headers: Mapping[str, str] | None = None):
    response = Response(json.dumps({"error": message}), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def harden(app: Any, config: Config | None = None) -> Any:
    """Apply the production settings to a Dash app (or a bare Flask server); returns the
    Flask server. Safe to call once per app."""
    config = config or Config.from_env()
    server = getattr(app, "server", app)
    if server.extensions.get("descent_lab_hardened"):
        return server
    server.extensions["descent_lab_hardened"] = True

    for note in config.notes:
        log.warning(note)
    level = getattr(logging, config.log_level.upper())
    server.logger.setLevel(level)
    log.setLevel(level)

    server.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    server.config["PROPAGATE_EXCEPTIONS"] = False  # errors go to our handler, never upward
    server.config["TRAP_HTTP_EXCEPTIONS"] = False
    server.debug = config.debug
    csp = _CspCache(app, config)
    callback_map = getattr(app, "callback_map", {})
    prefix = _routes_prefix(app)
    if prefix is not None:
        server.extensions["descent_lab_index"] = prefix
    not_served = _paths_not_served(prefix, config)

    @server.before_request
    def _only_the_app_paths():
        """The app is one page: Dash's catch-all route (any other path answered with
        the page) and, outside debug mode, its hot-reload hash get a 404."""
        rule = request.url_rule
        if rule is not None and rule.rule in not_served:
            return _not_found()
        return None

    @server.before_request
    def _check_callback_request():
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        if not request.is_json:
            return _json_error(415, "Callback requests must be application/json.")
        try:
            body = request.get_json()
        except RequestEntityTooLarge:
            raise
        except HTTPException:
            return _json_error(400, "The body is not valid JSON.")
        except (ValueError, RecursionError):
            return _json_error(400, "The body is not valid JSON.")
        try:
            check_callback_body(body, callback_map)
        except BadCallbackRequest as exc:
            return _json_error(400, str(exc))
        return None

    @server.after_request
    def _add_headers(response):
        for name, value in csp.get().items():
            response.headers.setdefault(name, value)
        return response

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc):
        return _json_error(413, f"Request body too large (limit {config.max_body_bytes:,} bytes).",
                           {"Connection": "close"})

    @server.errorhandler(HTTPException)
    def _http_error(exc):
        if exc.code == 404:
            return _not_found()
        headers = {k: v for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")}
        return _json_error(exc.code or 500, exc.name, headers)

    if DependencyException is not None:  # Dash's error for a component-suites path it does not serve
        @server.errorhandler(DependencyException)
        def _unknown_resource(_exc):
            return _not_found()

    @server.errorhandler(Exception)
    def _unhandled(exc):
        server.logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exc)
        return _json_error(500, "Internal server error. It was logged; the page keeps working.")

    if not any(rule.rule == "/healthz" for rule in server.url_map.iter_rules()):
        @server.route("/healthz")
        def healthz():
            return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}

    return server


# ------------------------------------------------------------------------------
# warm-up
# ------------------------------------------------------------------------------

_LINKED = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"(/[^\"/][^\"]*)\"")


def warm(server: Any, imports: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """Import ``imports``, then serve the page, every script and stylesheet it links,
    the layout and the callback graph once through Flask's test client; returns
    ``[(path, status)]``.

    Dash sets up its server on the first request and marks it done *before* it has
    registered the script paths it will serve, so requests arriving together at a
    fresh process can get a 404 for a core script (and that page never loads). Run
    this in each worker before it accepts connections (gunicorn's ``post_worker_init``)
    and that first request has been made, alone, before any client's.

    Modules the app imports only when first needed (pandas, for the CSV) are imported
    here too: two threads importing one at the same moment see it half initialised
    (a first CSV export next to another request failed with "partially initialized
    module 'pandas'").
    """
    for name in imports:
        importlib.import_module(name)
    client = server.test_client()
    index = server.extensions.get("descent_lab_index", "/")
    results = []
    with client.get(index) as page:
        results.append((index, page.status_code))
        html = page.get_data(as_text=True)
    paths = list(dict.fromkeys(_LINKED.findall(html)))
    paths += [index + "_dash-layout", index + "_dash-dependencies"] if "descent_lab_index" in server.extensions else []
    for path in paths:
        with client.get(path) as reply:
            results.append((path, reply.status_code))
    return results

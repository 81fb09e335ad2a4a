"""compose.yaml and deploy/Caddyfile agree with the image and the app's settings (no
container engine can pull images here, so the file is checked, not run)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from descent_lab.ui.serving.server import Config

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
TEMPLATE = (ROOT / "deploy" / "nginx.conf.template").read_text()


def _resolved(value: str) -> str:
    """``${NAME:-default}`` as compose resolves it with NAME unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_the_app_service_is_the_image_with_valid_settings():
    app = COMPOSE["services"]["app"]
    assert app["build"] == "."
    env = {k: _resolved(v) for k, v in app["environment"].items()}
    config = Config.from_env(env)  # every value is one the app accepts
    assert config.front == "nginx"
    assert all(_resolved(p).split(":")[-1] == "8050" for p in app["ports"])  # the image's PORT
    assert "/tmp" in " ".join(app["tmpfs"]) and app["read_only"] is True  # nginx writes only there


def test_the_stop_grace_outlasts_the_front_finishing_its_requests():
    grace = int(COMPOSE["services"]["app"]["stop_grace_period"].rstrip("s"))
    nginx = int(re.search(r"worker_shutdown_timeout (\d+)s;", TEMPLATE).group(1))
    assert grace > nginx


def test_tls_profile_trusts_only_its_own_network_and_reaches_the_app():
    app, tls = COMPOSE["services"]["app"], COMPOSE["services"]["tls"]
    subnet = COMPOSE["networks"]["lab"]["ipam"]["config"][0]["subnet"]
    assert Config.from_env({"TRUSTED_PROXIES": app["environment"]["TRUSTED_PROXIES"]}).trusted_proxies == (subnet,)
    assert tls["profiles"] == ["tls"] and set(tls["networks"]) == set(app["networks"]) == {"lab"}
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy app:8050" in caddyfile and "Strict-Transport-Security" in caddyfile
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in tls["volumes"]

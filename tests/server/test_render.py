"""deploy/render.py: the nginx configuration scripts/serve.sh runs, rendered from the
environment's Config and checked by nginx itself (``nginx -t``)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from deploy import render
from descent_lab.ui.serving.server import ERROR_CSP, PERMISSIONS_POLICY, Config

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _conf(tmp_path, as_root=False, **env) -> str:
    config = Config.from_env({"HOST": "127.0.0.1", "PORT": "18080", **env})
    render.prepare(tmp_path, as_root=as_root)
    values = render.values(config, tmp_path, tmp_path / "app.sock", nofile=4096, as_root=as_root, generation="g1")
    text = render.render(render.TEMPLATE.read_text(), values)
    (tmp_path / "nginx.conf").write_text(text)
    return text


def test_render_fills_known_fields_and_refuses_the_rest():
    assert render.render("a {{ x }} b {{y}}", {"x": 1, "y": "z"}) == "a 1 b z"
    with pytest.raises(KeyError, match="y"):
        render.render("{{ x }} {{ y }}", {"x": 1})
    with pytest.raises(ValueError, match="z"):
        render.render("{{ x }}", {"x": 1, "z": 2})


def test_the_template_gets_every_field(tmp_path):
    text = _conf(tmp_path)
    assert "{{" not in text and "}}" not in text
    assert "listen 127.0.0.1:18080 backlog=4096;" in text
    assert f"server unix:{tmp_path}/app.sock max_fails=0;" in text
    assert "client_max_body_size 1000000;" in text and "limit 1,000,000 bytes" in text
    assert "limit_conn per_client 256;" in text
    assert ERROR_CSP in text and PERMISSIONS_POLICY in text
    assert "user " not in text.split("worker_processes")[0].replace("# (not root", "")
    for name in render.TEMP_DIRS:
        assert (tmp_path / name).is_dir()


def test_nginx_accepts_the_configuration(tmp_path):
    _conf(tmp_path, MAX_BODY_BYTES="200000", CLIENT_CONNECTIONS="64", TRUSTED_PROXIES="10.0.0.0/8 fd00::/8")
    check = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                            "-g", "daemon off;"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr


def test_settings_reach_the_configuration(tmp_path):
    text = _conf(tmp_path, MAX_BODY_BYTES="200000", CLIENT_CONNECTIONS="64", TRUSTED_PROXIES="10.0.0.0/8 fd00::/8",
                 LOG_LEVEL="error")
    assert "client_max_body_size 200000;" in text and "limit 200,000 bytes" in text
    assert "limit_conn per_client 64;" in text
    assert "set_real_ip_from 10.0.0.0/8;" in text and "set_real_ip_from fd00::/8;" in text
    assert "real_ip_header X-Forwarded-For;" in text
    assert "error_log stderr error;" in text


def test_started_as_root_its_workers_run_as_nobody(tmp_path):
    text = _conf(tmp_path, as_root=True)
    assert "user nobody nogroup;" in text


@pytest.mark.parametrize("host,port,expected", [
    ("127.0.0.1", 8050, "127.0.0.1:8050"),
    ("0.0.0.0", 80, "0.0.0.0:80"),
    ("::", 8050, "[::]:8050"),
    ("::1", 8050, "[::1]:8050"),
    ("localhost", 8050, "localhost:8050"),
])
def test_listen_address(host, port, expected):
    assert render.listen_address(host, port) == expected


def test_worker_connections_follow_the_file_limit():
    assert render.worker_connections(1024) == 768
    assert render.worker_connections(20000) == 15000
    assert render.worker_connections(10**6) == 16384  # capped
    assert render.worker_connections(100) == 256       # floor: nginx needs a few anyway

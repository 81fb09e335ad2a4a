"""Write the nginx configuration for ``scripts/serve.sh``.

    python deploy/render.py RUN_DIR        # writes RUN_DIR/nginx.conf, makes its directories

The settings come from the environment through ``descent_lab.ui.serving.server.Config`` (the
same validation as gunicorn and ``python app.py``: a malformed HOST, PORT,
MAX_BODY_BYTES, CLIENT_CONNECTIONS or TRUSTED_PROXIES stops here with a sentence naming
the variable). The template is ``deploy/nginx.conf.template``; its ``{{ name }}`` fields
are filled by :func:`render`, which refuses a field it does not know and a value it
was not given, so the template and this file cannot drift apart silently.
"""

from __future__ import annotations

import os
import pwd
import re
import resource
import secrets
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE.parent))

from descent_lab.ui.serving.server import ERROR_CSP, PERMISSIONS_POLICY, Config  # noqa: E402

TEMPLATE = HERE / "nginx.conf.template"
FIELD = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# Directories nginx writes into (inside the run directory; none is needed elsewhere).
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "cache")
# nginx's error log is quieter than the app's: at "info" it logs every client that
# times out, which under a slowloris is one line per socket.
ERROR_LOG_LEVELS = {"debug": "info", "info": "warn", "warning": "warn", "error": "error", "critical": "crit"}
UNPRIVILEGED = ("nobody", "nogroup")  # nginx's workers when it is started as root


def render(template: str, values: dict[str, object]) -> str:
    """Fill ``{{ name }}`` fields; KeyError for a field without a value, ValueError
    for a value no field uses."""
    used = set(FIELD.findall(template))
    missing = used - set(values)
    if missing:
        raise KeyError(f"no value for template fields: {', '.join(sorted(missing))}")
    unused = set(values) - used
    if unused:
        raise ValueError(f"values for fields the template does not have: {', '.join(sorted(unused))}")
    return FIELD.sub(lambda m: str(values[m.group(1)]), template)


def file_limit() -> int:
    """The soft limit on open files (scripts/serve.sh raises it to the hard limit first)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 65536 if soft == resource.RLIM_INFINITY else int(soft)


def worker_connections(nofile: int) -> int:
    """Connections per nginx worker the file limit can carry: each is a descriptor, a
    proxied request needs two, cache and temp files a few more."""
    return max(256, min(16384, nofile * 3 // 4))


def listen_address(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def real_ip_block(config: Config) -> str:
    """Trust ``X-Forwarded-For`` from the configured proxies only, so per-client limits
    count the clients behind a load balancer rather than the balancer."""
    if not config.trusted_proxies:
        return ""
    lines = [f"    set_real_ip_from {network};" for network in config.trusted_proxies]
    lines += ["    real_ip_header X-Forwarded-For;", "    real_ip_recursive on;"]
    return "\n".join(lines) + "\n"


def values(config: Config, run_dir: Path, app_socket: Path, nofile: int, as_root: bool,
           generation: str) -> dict[str, object]:
    return {
        "user": "user {} {};".format(*UNPRIVILEGED) if as_root else "# (not root: nginx runs as this user)",
        "nofile": nofile,
        "worker_connections": worker_connections(nofile),
        "run_dir": run_dir,
        "app_socket": app_socket,
        "error_log_level": ERROR_LOG_LEVELS[config.log_level],
        "access_log": "/dev/stdout front",
        "listen": listen_address(config.host, config.port),
        "max_body_bytes": config.max_body_bytes,
        "max_body_text": f"{config.max_body_bytes:,}",
        "client_connections": config.client_connections,
        "real_ip": real_ip_block(config),
        "error_csp": ERROR_CSP,
        "permissions_policy": PERMISSIONS_POLICY,
        "generation": generation,
    }


def prepare(run_dir: Path, as_root: bool) -> None:
    """Make nginx's directories; when started as root its workers run as nobody and
    must be able to write them and reach the sockets."""
    run_dir.chmod(0o711)
    for name in TEMP_DIRS:
        path = run_dir / name
        path.mkdir(exist_ok=True)
        if as_root:
            entry = pwd.getpwnam(UNPRIVILEGED[0])
            os.chown(path, entry.pw_uid, entry.pw_gid)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python deploy/render.py RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(args[0]).resolve()
    try:
        config = Config.from_env()
    except ValueError as exc:
        print(f"Descent Lab: {exc}", file=sys.stderr)
        return 1
    as_root = os.geteuid() == 0
    prepare(run_dir, as_root)
    text = render(TEMPLATE.read_text(), values(config, run_dir, run_dir / "app.sock", file_limit(), as_root,
                                               secrets.token_hex(4)))
    (run_dir / "nginx.conf").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

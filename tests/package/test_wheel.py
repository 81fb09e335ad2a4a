"""The built distributions are a working app: ``python -m build`` with zero warnings; the
wheel holds one package, ``descent_lab``, with its assets, license and console script;
installed into a venv of its own and started from an empty folder (``descent-lab`` and
``python -m descent_lab``) it serves the page and every file the page links, and
headless Chromium loads it with no console error, compressed on first load and from its
cache on a repeat visit."""

from __future__ import annotations

import email
import gzip
import re
import subprocess
import tarfile
import urllib.request
import zipfile

import pytest

try:  # the repository root on sys.path (python -m pytest), or tests/ (plain pytest)
    from tests.package import installed
except ImportError:
    import installed

FIRST_LOAD_BUDGET = 3_000_000  # bytes on the wire for a first visit (issue target)


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    files, log = installed.build(out)
    wheel = next(f for f in files if f.suffix == ".whl")
    sdist = next(f for f in files if f.name.endswith(".tar.gz"))
    return wheel, sdist, log


@pytest.fixture(scope="module")
def venv(dists):
    return installed.wheel_venv(dists[0])


@pytest.fixture(scope="module")
def empty_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("empty")


@pytest.fixture(scope="module")
def served(venv, empty_dir):
    with installed.serve([str(venv / "bin" / "descent-lab")], cwd=empty_dir) as base:
        yield base


def get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()


# ------------------------------------------------------------------ the build

def test_build_has_no_warnings(dists):
    _, _, log = dists
    warnings = [line for line in log.splitlines() if re.search(r"warn", line, re.I)]
    assert warnings == []


def test_wheel_installs_one_package_with_its_assets_and_license(dists):
    wheel, _, _ = dists
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"descent_lab", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    assets = installed.ROOT / "descent_lab" / "assets"
    in_tree = {f"descent_lab/assets/{p.relative_to(assets).as_posix()}" for p in assets.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert "descent_lab/assets/favicon.ico" in in_tree and len(in_tree) >= 8
    # every asset, those in sub-folders too (the vendored Plotly bundles), and nothing else
    assert {n for n in names if n.startswith("descent_lab/assets/")} == in_tree
    assert "descent_lab/__main__.py" in names and "descent_lab/ui/serving/static.py" in names
    info = next(n for n in names if n.endswith(".dist-info/METADATA"))
    meta = email.message_from_bytes(zipfile.ZipFile(wheel).read(info))
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    import descent_lab

    assert meta["Version"] == descent_lab.__version__
    entry_points = zipfile.ZipFile(wheel).read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "descent-lab = descent_lab.app:main" in entry_points


def test_sdist_carries_the_license_assets_and_pins(dists):
    _, sdist, _ = dists
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    for needed in ("LICENSE", "README.md", "pyproject.toml", "constraints/lowest.txt",
                   "constraints/lock.txt", "descent_lab/assets/favicon.ico", "descent_lab/app.py"):
        assert needed in names, needed
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


# ------------------------------------------------------------------ the installed app

def test_only_descent_lab_is_importable_from_the_install(venv, empty_dir):
    code = ("import importlib.util, descent_lab; print(descent_lab.__file__); "
            "print([m for m in ('app', 'ui', 'optimizers', 'surfaces', 'assets') "
            "if importlib.util.find_spec(m)])")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=empty_dir,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert "site-packages" in out[0]
    assert out[1] == "[]"


def test_page_and_every_linked_file_answer_200_from_an_empty_folder(served):
    status, headers, body = get(served + "/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    html = gzip.decompress(body).decode()
    urls = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assets = [u for u in urls if u.startswith("/assets/")]
    assert len(assets) >= 6 and any("favicon.ico" in u for u in assets)
    for url in urls:
        code, headers, _ = get(served + url, **{"Accept-Encoding": "gzip"})
        assert code == 200, url
        assert headers["cache-control"] == "public, max-age=31536000, immutable", url
    for url in ("/robots.txt", "/favicon.ico", "/_dash-component-suites/plotly/package_data/plotly.min.js"):
        assert get(served + url)[0] == 200, url


def test_python_m_descent_lab_serves_too(venv, empty_dir):
    with installed.serve([str(venv / "bin" / "python"), "-m", "descent_lab"], cwd=empty_dir) as base:
        status, _, body = get(base + "/")
        assert status == 200 and b"Descent Lab" in body


@pytest.mark.browser
def test_chromium_loads_it_compressed_then_from_its_cache(served):
    driver = installed.chromium()
    try:
        first = installed.visit(driver, served + "/", installed.PAGE_READY)
        repeat = installed.visit(driver, served + "/", installed.PAGE_READY)
    finally:
        driver.quit()
    assert first.errors() == [] and repeat.errors() == []
    statics = [f for f in first.fetches if f.path.startswith(("/assets/", "/_dash-component-suites/"))]
    assert len(statics) >= 20
    for fetch in statics:
        assert fetch.status == 200, fetch.url
        if fetch.path.split("?")[0].endswith((".js", ".css")):
            assert fetch.headers.get("content-encoding") == "gzip", fetch.url
    assert first.wire_bytes <= FIRST_LOAD_BUDGET
    favicon = [f for f in first.fetches + repeat.fetches if "favicon" in f.url]
    assert len(favicon) == 1  # once, and not again on the repeat visit

    again = {f.path: f for f in repeat.fetches}
    for fetch in statics:
        if "favicon" in fetch.url:
            continue  # the browser's favicon cache: not asked for at all (checked above)
        later = again.get(fetch.path)
        assert later is not None, fetch.url
        if fetch.headers.get("cache-control", "").endswith("immutable"):
            assert later.from_cache and later.wire_status is None, fetch.url  # no request at all
        else:
            assert fetch.headers.get("cache-control") == "no-cache" and fetch.headers.get("etag")
            assert later.revalidated, fetch.url  # 304, no body
    reloaded_bodies = [f for f in repeat.fetches
                       if f.path.startswith(("/assets/", "/_dash-component-suites/")) and f.wire_status == 200]
    assert reloaded_bodies == []

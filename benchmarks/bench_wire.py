"""Bytes on the wire for a first visit and what a repeat visit asks again, measured in
headless Chromium (DevTools Network events) on the app installed from its wheel.

Run: ``python benchmarks/bench_wire.py [--url URL]`` (about a minute; a URL measures a
server already running, such as the Docker image, instead of the wheel).

Set-up (tests/package/installed.py): ``python -m build`` the checkout, install the wheel
into a venv of its own over the pinned dependencies (constraints/lock.txt), start
``descent-lab`` from an empty folder on a free loopback port, open the page in Chromium
(the project's flags) and wait for the contour and for the network to be quiet; then open
it again in the same browser (a new navigation, as a returning student does, not a reload).

Printed: requests, bytes on the wire (headers included) and the same bodies uncompressed;
for the repeat visit, how many files came from the browser's cache without a request, how
many were revalidated (304, no body) and how many were downloaded again. A benchmark, not a
test: it exits 0 whatever the numbers (1 if it could not measure).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.package import installed  # noqa: E402

STATIC = ("/assets/", "/_dash-component-suites/")


def describe(name: str, visit: installed.Visit) -> list[str]:
    statics = [f for f in visit.fetches if f.path.startswith(STATIC)]
    rows = [f"| {name}: requests | {len(visit.fetches)} |",
            f"| {name}: bytes on the wire | {visit.wire_bytes / 1e6:.2f} MB |",
            f"| {name}: the page's files, uncompressed | {visit.decoded_bytes / 1e6:.2f} MB |"]
    if name == "repeat visit":
        rows += [f"| {name}: static files from the browser cache, no request | {sum(f.from_cache for f in statics)} |",
                 f"| {name}: static files revalidated (304, no body) | {sum(f.revalidated for f in statics)} |",
                 f"| {name}: static files downloaded again | {sum(f.wire_status == 200 for f in statics)} |"]
    rows.append(f"| {name}: console errors | {len(visit.errors())} |")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="measure this running server instead of the installed wheel")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.url:
            base = args.url.rstrip("/")
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            # sdist then wheel from it, as pip does: a wheel built in the tree may carry stale
            # files from an earlier build/ folder
            wheel = next(f for f in installed.build(work / "dist")[0] if f.suffix == ".whl")
            venv = installed.wheel_venv(wheel)
            (work / "empty").mkdir()
            base = stack.enter_context(installed.serve([str(venv / "bin" / "descent-lab")], cwd=work / "empty"))
        driver = installed.chromium()
        stack.callback(driver.quit)
        try:
            first = installed.visit(driver, base + "/", installed.PAGE_READY)
            repeat = installed.visit(driver, base + "/", installed.PAGE_READY)
        except RuntimeError as exc:
            print(f"could not measure: {exc}", file=sys.stderr)
            return 1
    print(f"Descent Lab at {'the given URL' if args.url else 'the installed wheel'}, headless Chromium\n")
    print("| what | measured |\n|---|---|")
    print("\n".join(describe("first visit", first) + describe("repeat visit", repeat)))
    print("\nRevalidated on the repeat visit (URLs without a fingerprint):")
    for fetch in repeat.fetches:
        if fetch.revalidated and fetch.path.startswith(STATIC):
            print(f"  {fetch.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

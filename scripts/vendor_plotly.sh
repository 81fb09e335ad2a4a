#!/usr/bin/env bash
# Fetch the Plotly.js partial bundles the page uses, at the version plotly.py ships, from the
# npm registry into descent_lab/assets/vendor/ (run after upgrading plotly):
#   plotly-cartesian.min.js  loaded with the page (contour, scatter, heatmap: 1.5 MB, not 4.8)
#   plotly-gl3d.min.js       loaded only when the 3D view is opened (surface, scatter3d)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version="$(python -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')"
out=descent_lab/assets/vendor
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for bundle in cartesian gl3d; do
    (cd "$tmp" && npm pack --silent "plotly.js-${bundle}-dist-min@${version}" >/dev/null)
    tar -xzf "$tmp/plotly.js-${bundle}-dist-min-${version}.tgz" -C "$tmp"
    cp "$tmp/package/plotly-${bundle}.min.js" "$out/plotly-${bundle}.min.js"
    cp "$tmp/package/LICENSE" "$out/LICENSE-plotly.txt"
    rm -rf "$tmp/package"
done
echo "$version" > "$out/PLOTLY_VERSION"
echo "vendored plotly.js $version into $out"

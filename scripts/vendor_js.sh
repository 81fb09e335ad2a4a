#!/usr/bin/env bash
# Fetch the browser libraries the page vendors from the npm registry into
# descent_lab/assets/vendor/ (run after upgrading plotly or dash):
#   plotly-cartesian.min.js   loaded with the page (contour, scatter, heatmap: 1.5 MB, not 4.8),
#                             at the version plotly.py ships
#   plotly-gl3d.min.js        loaded only when the 3D view is opened (surface, scatter3d)
#   regenerator-runtime.js    the one part of Dash's @babel/polyfill bundle Dash's components
#                             need in today's browsers (descent_lab/app.py serves it instead)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version="$(python -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')"
regenerator=0.14.1
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
(cd "$tmp" && npm pack --silent "regenerator-runtime@${regenerator}" >/dev/null)
tar -xzf "$tmp/regenerator-runtime-${regenerator}.tgz" -C "$tmp"
cp "$tmp/package/runtime.js" "$out/regenerator-runtime.js"
cp "$tmp/package/LICENSE" "$out/LICENSE-regenerator-runtime.txt"
echo "vendored plotly.js $version and regenerator-runtime $regenerator into $out"

#!/usr/bin/env bash
# Fetch the browser libraries the page vendors from the npm registry into
# descent_lab/assets/vendor/ (run after upgrading plotly or dash):
#   plotly-contour.min.js     loaded with the page: Plotly's core (scatter) with heatmap and
#                             contour (scripts/plotly_contour.js), built with esbuild from
#                             plotly.js at the version plotly.py ships: 1.2 MB, not the
#                             cartesian bundle's 1.5 or the full 4.8
#   plotly-gl3d.min.js        loaded only when the 3D view is opened (surface, scatter3d)
#   regenerator-runtime.js    the one part of Dash's @babel/polyfill bundle Dash's components
#                             need in today's browsers (descent_lab/app.py serves it instead)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version="$(python -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')"
esbuild=0.25.12
regenerator=0.14.1
out=descent_lab/assets/vendor
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The page's bundle, as plotly.js builds its own (esbuild, an IIFE named Plotly, `global` as
# window); the maplibre CSS only map subplots require is left out; the licences of the
# bundled packages are kept at the end of the file.
(cd "$tmp" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund --ignore-scripts \
    "plotly.js@${version}" "esbuild@${esbuild}" >/dev/null)
cp scripts/plotly_contour.js "$tmp/entry.js"
(cd "$tmp" && npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
    --define:global=window --define:define.amd=false --define:process.env.NODE_DEBUG=false \
    --loader:.css=empty --legal-comments=eof --log-level=warning --outfile=plotly-contour.min.js)
cp "$tmp/plotly-contour.min.js" "$out/plotly-contour.min.js"
cp "$tmp/node_modules/plotly.js/LICENSE" "$out/LICENSE-plotly.txt"

(cd "$tmp" && npm pack --silent "plotly.js-gl3d-dist-min@${version}" >/dev/null)
tar -xzf "$tmp/plotly.js-gl3d-dist-min-${version}.tgz" -C "$tmp"
cp "$tmp/package/plotly-gl3d.min.js" "$out/plotly-gl3d.min.js"
rm -rf "$tmp/package"
echo "$version" > "$out/PLOTLY_VERSION"
(cd "$tmp" && npm pack --silent "regenerator-runtime@${regenerator}" >/dev/null)
tar -xzf "$tmp/regenerator-runtime-${regenerator}.tgz" -C "$tmp"
cp "$tmp/package/runtime.js" "$out/regenerator-runtime.js"
cp "$tmp/package/LICENSE" "$out/LICENSE-regenerator-runtime.txt"
echo "vendored plotly.js $version and regenerator-runtime $regenerator into $out"

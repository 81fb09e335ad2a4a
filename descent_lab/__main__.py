"""``python -m descent_lab``: serve the app on http://127.0.0.1:8050 (HOST / PORT override)."""

from descent_lab.app import main

main()

"""Run ``descent_lab.show()`` in an IPython shell without a notebook server.

``python tests/package/ipython_show.py PORT [ARGS_JSON]``: makes an IPython
``InteractiveShell`` (what a kernel runs) before Dash is imported, so Dash's Jupyter
integration is active; replaces its display publisher with one that records what the
notebook would render; calls ``descent_lab.show(port=PORT, **ARGS)``; prints one JSON line
(what was displayed, the page's status and headers); then keeps the app's server thread
running until stdin closes.
"""

import json
import sys
import urllib.request

from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

shown = []


class RecordingPublisher(DisplayPublisher):
    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
        shown.append(data)


shell = InteractiveShell.instance()
shell.display_pub = RecordingPublisher(shell=shell)

import descent_lab  # noqa: E402  (after the shell: Dash checks for IPython on import)

port = int(sys.argv[1])
kwargs = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
descent_lab.show(port=port, **kwargs)
with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as reply:
    print(json.dumps({"shown": shown, "status": reply.status, "headers": dict(reply.headers)}), flush=True)
sys.stdin.read()

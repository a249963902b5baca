"""Screenshot a statement page at 1280x900 into docs/statement.png (README image).

Builds the seed archive into a temporary folder, serves it with the search service on a
free port, and photographs it with Debian's chromium.
"""

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from waitress.server import create_server

from onrecord.build import build, settings_for
from onrecord.serve import create_app

REPO = Path(__file__).resolve().parents[1] if len(sys.argv) < 2 else Path(sys.argv[1])
PATH = "/statements/jafari-press-conference/"

with tempfile.TemporaryDirectory() as tmp:
    base = Path(tmp)
    build(REPO / "pelicanconf.py", output=base / "output", index_dir=base / "index")
    settings = settings_for(REPO / "pelicanconf.py")
    app = create_app(
        base / "output", base / "index", Path(settings["THEME"]) / "templates", settings
    )
    server = create_server(app, host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{server.effective_port}{PATH}")
        page.screenshot(path=str(REPO / "docs" / "statement.png"))
        browser.close()
    server.close()
print(REPO / "docs" / "statement.png")

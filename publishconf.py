"""Settings for publishing: absolute URLs under the public address.

    make publish SITEURL=https://archive.example.org
"""

import os
import sys

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("SITEURL", "").rstrip("/")
if not SITEURL.startswith(("https://", "http://")):
    raise SystemExit("publishconf.py: set SITEURL to the public address, e.g. "
                     "make publish SITEURL=https://archive.example.org")
RELATIVE_URLS = False
ONRECORD_PUBLISHED = True  # citations name SITEURL as built, wherever the page is served

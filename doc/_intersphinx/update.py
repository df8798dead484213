"""Download the intersphinx inventories that the offline docs build reads.

Run from a machine with network access, then commit the ``*-objects.inv``
files next to this script::

    python doc/_intersphinx/update.py

``doc/conf.py`` reads ``<name>-objects.inv`` here in place of fetching
``<site>/objects.inv``; a project without a file here is fetched when its
site answers, else its links render as plain text.
"""

import urllib.request
from pathlib import Path

HERE = Path(__file__).parent


def _projects():
    source = (HERE.parent / "conf.py").read_text()
    # Only the table of sites is needed; conf.py itself imports sk_ebm.
    namespace = {}
    start = source.index("_PROJECTS = {")
    exec(source[start : source.index("}\n", start) + 2], namespace)
    return namespace["_PROJECTS"]


def main():
    for name, url in _projects().items():
        target = HERE / f"{name}-objects.inv"
        with urllib.request.urlopen(f"{url}/objects.inv", timeout=30) as response:
            target.write_bytes(response.read())
        print(f"{target.name}: {target.stat().st_size} bytes from {url}")


if __name__ == "__main__":
    main()

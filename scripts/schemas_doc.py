"""Write docs/schemas.md from the stage output models in rsnprop/schemas/.

    python scripts/schemas_doc.py          # rewrite docs/schemas.md
    python scripts/schemas_doc.py --check  # exit 1 if docs/schemas.md is not what the models say

Run it after changing a model; tests/test_schemas.py fails while the page is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "schemas.md"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from rsnprop.schemadoc import schemas_markdown

    text = schemas_markdown()
    if args.check:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE.relative_to(REPO)} is stale: run python scripts/schemas_doc.py",
                  file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

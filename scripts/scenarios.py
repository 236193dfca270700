"""Run the scenario tests of processes/ on the diagram as it is on disk, and re-record them.

    python scripts/scenarios.py                 # every scenario: passed, or where it went elsewhere
    python scripts/scenarios.py --record NAME   # rewrite NAME's `expect` from what the diagram now does

Re-recording is for a deliberate change of the process: read the diff of the scenario file before
committing it, since it now asserts whatever the diagram does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp.domain import scenarios  # noqa: E402
from webapp.domain.catalog import parse_bundle  # noqa: E402
from webapp.services.designer.scenarios import DIRECTORY, checklist_in, helpers  # noqa: E402
from webapp.services.designer.versions import MAIN_PROCESS, read_directory, read_forms  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", nargs="+", default=[], metavar="NAME", help="scenarios to re-record")
    args = parser.parse_args(argv)
    files = read_directory(str(ROOT / "processes"))
    files.update(read_forms(str(ROOT / "forms")))
    bundle = parse_bundle(files, MAIN_PROCESS)
    directory = ROOT / "processes" / DIRECTORY
    checklist = checklist_in(ROOT / "forms")
    failed = 0
    outcomes = []
    for case in scenarios.load_directory(directory, bundle.process_id):
        outcome = scenarios.execute(bundle, case, helpers, checklist)
        outcomes.append(outcome)
        if case.name in args.record and outcome.error is None:
            raw = json.loads((directory / str(case.file)).read_text(encoding="utf-8"))
            raw["expect"] = scenarios.expectation(outcome)
            (directory / str(case.file)).write_text(
                json.dumps(raw, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            print(f"recorded {case.name}")
            continue
        result = scenarios.compare(case, outcome)
        failed += not result.passed
        print(f"{'ok  ' if result.passed else 'FAIL'} {case.name}: {case.title}")
        for message in result.failures:
            print(f"       {message}")
    for flow in scenarios.uncovered(bundle, outcomes):
        print(f"no scenario takes {flow}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

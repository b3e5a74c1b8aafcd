"""Run the benchmarks: `python -m bench` for all, `python -m bench --only NAME` for one.

Each benchmark is a module `bench/<name>.py` with a `run() -> BenchResult` function; its
result is printed as a table and written to var/bench/<name>.json.
"""

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

import bench
from bench.common import write_result

RESULTS_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"


def available() -> list[str]:
    return sorted(
        module.name for module in pkgutil.iter_modules(bench.__path__)
        if not module.name.startswith("_") and module.name != "common"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run one benchmark by name")
    args = parser.parse_args()
    names = available()
    if args.only:
        if args.only not in names:
            print(f"no benchmark named {args.only!r}; available: {', '.join(names) or 'none'}")
            return 2
        names = [args.only]
    if not names:
        print("No benchmarks are defined yet.")
        return 0
    for name in names:
        result = importlib.import_module(f"bench.{name}").run()
        write_result(result, RESULTS_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())

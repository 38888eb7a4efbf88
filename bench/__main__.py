"""Run every benchmark module (bench/b_*.py), print the ratios, write var/bench/results.json."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path

import django

from . import Context

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="only these benchmarks (module names without b_)")
    parser.add_argument(
        "--scale",
        type=int,
        default=int(os.environ.get("REMIX_BENCH_SCALE", 300_000)),
        help="number of PGT polygons of the full-scale set (default 300000)",
    )
    parser.add_argument("--quick", action="store_true", help="a small scale, to check that it all runs")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remix.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()

    scale = 20_000 if args.quick else args.scale
    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    ctx = Context(work_dir=work, scale=scale, quick=args.quick)
    modules = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("b_"))
    if args.names:
        modules = [m for m in modules if m[2:] in args.names]
    results = []
    for name in modules:
        started = time.perf_counter()
        print(f"[bench] {name[2:]} …", flush=True)
        module = importlib.import_module(f"bench.{name}")
        results.extend(module.run(ctx))
        print(f"[bench] {name[2:]} done in {time.perf_counter() - started:.1f} s", flush=True)
    _print_table(results)
    out = work / "results.json"
    out.write_text(json.dumps([r.as_json() for r in results], indent=2, ensure_ascii=False))
    print(f"[bench] results written to {out.relative_to(ROOT)}")
    return 0


def _print_table(results) -> None:
    header = f"{'benchmark':<28}{'project':>14}{'anchor':>14}  {'unit':<14}{'ratio':>7}{'target':>8}  met"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<28}{r.project:>14.2f}{r.anchor:>14.2f}  {r.unit:<14}{r.ratio:>7.2f}{r.target:>8.2f}  "
            f"{'yes' if r.met else 'NO'}"
        )


if __name__ == "__main__":
    raise SystemExit(main())

"""The long fuzzing run (issue 9): N seeded mutated studies through validate + analyze + outputs.

    PYTHONPATH=src python tests/fuzz/run_fuzz.py --examples 10000 [--start 0] [--out fuzz-result.json]

Study k is drawn from ``random.Random(k)``, so any failure is rerun with ``--start k --examples 1 -v``.
Prints the count of studies by outcome and the distinct places of internal errors; exit 1 if any
invariant broke. The last result is recorded in docs/validation.md ("Fuzzing").
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.mutate import run_one  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=10000)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="write the summary as JSON here")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every mutation plan")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.time()
    places: dict[str, list[int]] = collections.defaultdict(list)
    outcome = collections.Counter()
    for k in range(args.start, args.start + args.examples):
        m, broken = run_one(random.Random(k))
        if args.verbose:
            print(k, m.base, m.log, broken)
        outcome["ok" if not broken else "broken"] += 1
        for b in broken:
            key = b.split(": ", 1)[0] + ": " + b.split(": ", 1)[1].split(" (")[0] if "internal error" in b else b[:90]
            places[key].append(k)
        done = k - args.start + 1
        if done % 100 == 0 or done == args.examples:
            print(f"{done} studies, {outcome['broken']} broken, {time.time() - t0:.0f} s", flush=True)
            summary = {"examples": done, "planned": args.examples, "start": args.start,
                       "seconds": round(time.time() - t0), "ok": outcome["ok"], "broken": outcome["broken"],
                       "places": {k: {"count": len(v), "seeds": v[:10]} for k, v in sorted(places.items())}}
            if args.out:  # kept up to date, so an interrupted run still records what it did
                args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 1 if outcome["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the fuzz targets (fuzz/fuzz_*.py) with atheris for a bounded time each.

    python fuzz/run.py                      # every target, 60 s each, one at a time
    python fuzz/run.py --seconds 120 --jobs 2  # two targets at a time (make fuzz-ci)
    python fuzz/run.py --seconds 15 catalog # one target by name
    python fuzz/run.py --seed 1             # libFuzzer seed fixed (make fuzz-ci)

Each target runs in its own subprocess, seeded with fuzz/corpus/<target>/ and the real files
the target names (``seed_files()``: the big source texts stay in data/sources). New corpus
entries go to a temporary folder; crash inputs and the log go to fuzz/crashes/. Prints, per
target, the executions, seconds and crash inputs saved; exits 1 when any target crashed (a
crash input saved, or libFuzzer/atheris ended with an error).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRASHES = HERE / "crashes"


def targets() -> list[str]:
    return sorted(p.stem.removeprefix("fuzz_") for p in HERE.glob("fuzz_*.py"))


def seeds(name: str) -> list[Path]:
    sys.path.insert(0, str(HERE))
    try:
        from _harness import corpus_files

        module = importlib.import_module(f"fuzz_{name}")
        return corpus_files(name) + list(module.seed_files())
    finally:
        sys.path.remove(str(HERE))


def run_target(
    name: str, seconds: int, seed_list: list[Path], seed: int | None = None
) -> dict[str, object]:
    CRASHES.mkdir(exist_ok=True)
    before = set(CRASHES.glob(f"{name}-*"))
    log = CRASHES / f"{name}.log"
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i, start in enumerate(seed_list):
            shutil.copyfile(start, corpus / f"seed-{i}-{start.name}")
        cmd = [
            sys.executable,
            str(HERE / f"fuzz_{name}.py"),
            f"-max_total_time={seconds}",
            "-rss_limit_mb=2048",
            "-timeout=30",
            "-print_final_stats=1",
            f"-artifact_prefix={CRASHES}/{name}-",
            *([f"-seed={seed}"] if seed is not None else []),
            str(corpus),
        ]
        # a fixed seed replays the same mutations (hash order fixed too) on any machine: a run
        # of N seconds covers a prefix of what a longer run with that seed covered
        env = {**os.environ, "PYTHONHASHSEED": "0"} if seed is not None else None
        start = time.monotonic()
        with log.open("w") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False, env=env)
        elapsed = time.monotonic() - start
    text = log.read_text(errors="replace")
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", text) or re.search(
        r"Done (\d+) runs", text
    )
    crashes = sorted(set(CRASHES.glob(f"{name}-*")) - before)
    return {
        "target": name,
        "execs": int(m.group(1)) if m else None,
        "seconds": round(elapsed, 1),
        "returncode": proc.returncode,
        "crashed": proc.returncode != 0 or bool(crashes),
        "crashes": crashes,
        "log": log,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help=f"target names (default: all of {targets()})")
    parser.add_argument("--seconds", type=int, default=60, help="fuzzing time per target")
    parser.add_argument(
        "--jobs", type=int, default=1, help="targets fuzzed at a time (each in its own process)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="libFuzzer's random seed (default: a new one per run); fixed in CI",
    )
    args = parser.parse_args(argv)
    names = args.targets or targets()
    unknown = sorted(set(names) - set(targets()))
    if unknown:
        parser.error(f"unknown targets {unknown}; known: {targets()}")

    if not 1 <= args.jobs <= 16:
        parser.error("--jobs must be between 1 and 16")

    # the seeds are looked up here, not in the worker threads (the look-up edits sys.path)
    seed_lists = {name: seeds(name) for name in names}

    def one(name: str) -> dict[str, object]:
        sys.stdout.write(f"fuzzing {name} for {args.seconds} s ...\n")  # one write: threads
        sys.stdout.flush()
        result = run_target(name, args.seconds, seed_lists[name], args.seed)
        if result["crashed"]:
            files = ", ".join(str(p.relative_to(HERE.parent)) for p in result["crashes"])
            print(f"  {name}: CRASH (exit {result['returncode']}): {files or 'no input saved'}")
            print(f"  {name}: log: {result['log'].relative_to(HERE.parent)}", flush=True)
        return result

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, names))
    total = time.monotonic() - start

    print("\nsummary:")
    print(f"  {'target':<28} {'execs':>10} {'seconds':>8} {'crashes':>8}  result")
    for r in results:
        execs = "?" if r["execs"] is None else r["execs"]
        status = "CRASH" if r["crashed"] else "ok"
        crashes = len(r["crashes"])
        print(f"  {r['target']:<28} {execs:>10} {r['seconds']:>8} {crashes:>8}  {status}")
    crashed = [r["target"] for r in results if r["crashed"]]
    print(
        f"\n{len(crashed)} of {len(results)} targets crashed"
        + (f": {crashed}" if crashed else "")
        + f" ({args.seconds} s each, {args.jobs} at a time, {total:.0f} s in all"
        + (f", seed {args.seed})" if args.seed is not None else ")")
    )
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())

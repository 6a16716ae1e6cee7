"""Run the fuzz targets (fuzz/fuzz_*.py) with atheris for a bounded time each.

    python fuzz/run.py                      # every target, 60 s each
    python fuzz/run.py --seconds 15 catalog # one target by name

Each target runs in its own subprocess, seeded with fuzz/corpus/<target>/ and the real files
the target names (``seed_files()``: the big source texts stay in data/sources). New corpus
entries go to a temporary folder; crash inputs and the log go to fuzz/crashes/. Exits 1 when
any target crashed.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
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


def run_target(name: str, seconds: int) -> dict[str, object]:
    CRASHES.mkdir(exist_ok=True)
    before = set(CRASHES.glob(f"{name}-*"))
    log = CRASHES / f"{name}.log"
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for i, seed in enumerate(seeds(name)):
            shutil.copyfile(seed, corpus / f"seed-{i}-{seed.name}")
        cmd = [
            sys.executable,
            str(HERE / f"fuzz_{name}.py"),
            f"-max_total_time={seconds}",
            "-rss_limit_mb=2048",
            "-timeout=30",
            "-print_final_stats=1",
            f"-artifact_prefix={CRASHES}/{name}-",
            str(corpus),
        ]
        start = time.monotonic()
        with log.open("w") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
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
    args = parser.parse_args(argv)
    names = args.targets or targets()
    unknown = sorted(set(names) - set(targets()))
    if unknown:
        parser.error(f"unknown targets {unknown}; known: {targets()}")

    results = []
    for name in names:
        print(f"fuzzing {name} for {args.seconds} s ...", flush=True)
        result = run_target(name, args.seconds)
        results.append(result)
        if result["crashed"]:
            files = ", ".join(str(p.relative_to(HERE.parent)) for p in result["crashes"])
            print(f"  CRASH (exit {result['returncode']}): {files or 'no input saved'}")
            print(f"  log: {result['log'].relative_to(HERE.parent)}")

    print("\nsummary:")
    print(f"  {'target':<28} {'execs':>10} {'seconds':>8}  result")
    for r in results:
        execs = "?" if r["execs"] is None else r["execs"]
        status = "CRASH" if r["crashed"] else "ok"
        print(f"  {r['target']:<28} {execs:>10} {r['seconds']:>8}  {status}")
    crashed = [r["target"] for r in results if r["crashed"]]
    print(
        f"\n{len(crashed)} of {len(results)} targets crashed" + (f": {crashed}" if crashed else "")
    )
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())

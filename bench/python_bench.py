#!/usr/bin/env python3
"""bench/python_bench.py: neardup.cluster(records) against `neardup cluster` on the same corpus.

Issue 19's bar: over 100k synth documents, the module returns the command's id, cluster and
similarity in at most 1.25x the command's time. Runs alternate (command, module, command, ...)
so that a busy machine weighs on both; each pair's ratio is printed, then the median.

  python3 bench/python_bench.py --binary build/neardup [--corpus FILE] [--pairs 5] [-t 0.7]

Without --corpus it writes a 100,000-document synth corpus (`neardup synth -n 100000`) to a
temporary directory. The module's time is the call alone, records already in memory (read with
json.loads beforehand, timed apart); the command's is the whole process, output file included.
Wall time decides the bar; the CPU time of each side (user + system, the command's from
RUSAGE_CHILDREN, the module's from this process) is printed beside it, as the wall time of a
shared machine swings by 30%. Run it with the Python that has the module (the venv of README "Python", or PYTHONPATH=
BUILD/python).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import neardup


def _cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default="build/neardup")
    parser.add_argument("--corpus")
    parser.add_argument("--documents", type=int, default=100000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("-t", "--threshold", default="0.7")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="neardup-pybench-") as work:
        corpus = args.corpus
        if corpus is None:
            corpus = os.path.join(work, "synth.jsonl")
            subprocess.run([args.binary, "synth", "-n", str(args.documents), "-o", corpus, "-q"],
                           check=True)
        started = time.perf_counter()
        with open(corpus, encoding="utf-8") as f:
            records = [json.loads(line) for line in f]
        load = time.perf_counter() - started
        print(f"corpus {corpus}: {len(records)} records, {os.path.getsize(corpus) / 1e6:.1f} MB; "
              f"json.loads {load:.2f} s (not counted)")

        out = os.path.join(work, "clusters.jsonl")
        command = [args.binary, "cluster", corpus, "-t", args.threshold, "-o", out, "-q",
                   "--threads", str(args.threads)]
        ratios, cpu_ratios = [], []
        for pair in range(args.pairs):
            cpu = _cpu(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(command, check=True)
            command_seconds = time.perf_counter() - started
            command_cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu
            cpu = _cpu(resource.RUSAGE_SELF)
            started = time.perf_counter()
            rows = neardup.cluster(records, threshold=float(args.threshold), threads=args.threads)
            module_seconds = time.perf_counter() - started
            module_cpu = _cpu(resource.RUSAGE_SELF) - cpu
            if pair == 0:
                with open(out, encoding="utf-8") as f:
                    expected = [json.loads(line) for line in f]
                keys = ("id", "cluster", "similarity")
                same = len(rows) == len(expected) and all(
                    all(r[k] == e[k] for k in keys) for r, e in zip(rows, expected))
                whole = rows == expected
                print(f"same id/cluster/similarity as the command: {same}; "
                      f"whole rows equal: {whole}")
                if not same:
                    sys.exit("the module's rows differ from the command's")
            ratios.append(module_seconds / command_seconds)
            cpu_ratios.append(module_cpu / command_cpu)
            print(f"pair {pair + 1}: command {command_seconds:.2f} s ({command_cpu:.2f} s CPU), "
                  f"module {module_seconds:.2f} s ({module_cpu:.2f} s CPU), ratio "
                  f"{ratios[-1]:.3f} (CPU {cpu_ratios[-1]:.3f})")
            del rows
        print(f"median ratio {statistics.median(ratios):.3f} over {len(ratios)} pairs "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f}); the bar is 1.25. CPU time "
              f"ratio (user + system, less sensitive to a busy machine) "
              f"{statistics.median(cpu_ratios):.3f}")


if __name__ == "__main__":
    main()

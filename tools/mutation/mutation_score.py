"""The mutation score per module, from a finished `mutmut run` (used by `make mutants`).

    python tools/mutation/mutation_score.py [FOLDER]     # FOLDER holds mutmut's mutants/ (default: .)

Prints, per mutated module: mutants, killed (a test failed or timed out), survived (every test
passed: a gap, or an equivalent mutant), not reached (no selected test runs the function), and the
score killed / (killed + survived). Lists the surviving mutants' names for `mutmut show NAME`.
"""
import json
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py): 1 and 3 a test failed, 0 every test passed,
# 33 and 5 no test reaches the mutant, 36, ±24, 152, 255 the tests timed out.
KIND = {1: "killed", 3: "killed", 36: "killed", 24: "killed", -24: "killed", 152: "killed",
        255: "killed", 0: "survived", 33: "not reached", 5: "not reached", None: "not run"}


def scores(folder: Path) -> tuple:
    rows, survivors = [], []
    for meta in sorted((folder / "mutants").rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        count = Counter(KIND.get(code, "other") for code in codes.values())
        survivors += sorted(name for name, code in codes.items() if code == 0)
        decided = count["killed"] + count["survived"]
        rows.append((meta.name[:-5], len(codes), count["killed"], count["survived"],
                     count["not reached"], count["not run"] + count["other"],
                     count["killed"] / decided if decided else float("nan")))
    return rows, survivors


def main(argv: list) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path(".")
    rows, survivors = scores(folder)
    if not rows:
        print(f"no mutmut results under {folder / 'mutants'}")
        return 1
    print(f"{'module':<16} {'mutants':>7} {'killed':>7} {'survived':>8} {'not reached':>11} "
          f"{'not run':>7} {'score':>6}")
    for name, n, killed, survived, unreached, pending, score in rows:
        print(f"{name:<16} {n:>7} {killed:>7} {survived:>8} {unreached:>11} {pending:>7} "
              f"{score:>6.1%}")
    print("\nsurviving mutants (mutmut show NAME):")
    print("\n".join(f"  {s}" for s in survivors) or "  none")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

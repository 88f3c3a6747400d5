"""``microgradnn exercises``: list the exercises, show one, or grade a file of answers.

The file is plain Python that defines each answer under its exercise's name (a function or a
number); it runs as a script would, then every exercise it defines is graded. Exit status 1 when
an answer is wrong, 2 when the file cannot be read or run, or defines no exercise.
"""
from __future__ import annotations

import argparse
import runpy
import sys
import traceback

from ..check import exercises


def add_parser(sub) -> None:
    e = sub.add_parser(
        "exercises", help="list the exercises, or grade a Python file of answers",
        description="Without a file, list the exercises (name, page, answer's form). With "
                    "a file that defines answers under the exercises' names, grade each one "
                    "and say what is wrong. Exit status 1 if an answer is wrong.",
        epilog="example: microgradnn exercises --show dual_mul; microgradnn exercises answers.py")
    e.add_argument("file", nargs="?", help="a Python file defining answers by exercise name")
    e.add_argument("--show", metavar="NAME", choices=exercises.list(),
                   help="print one exercise's statement")
    e.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.show:
        print(exercises.statement(args.show))
        return 0
    if args.file is None:
        width = max(len(n) for n in exercises.list())
        for name in exercises.list():
            e = exercises.EXERCISES[name]
            print(f"{name:<{width}}  {e.page:<21}  {e.form}")
        print("\nmicrogradnn exercises --show NAME prints one; microgradnn exercises FILE grades "
              "the answers FILE defines.")
        return 0
    try:
        namespace = runpy.run_path(args.file, run_name="__answers__")
    except OSError as err:
        return _fail(f"{args.file}: {err.strerror or err}")
    except BaseException as err:    # noqa: BLE001 - the learner's file: say where it failed
        if isinstance(err, KeyboardInterrupt):
            raise
        where = traceback.extract_tb(err.__traceback__)[-1:]
        line = f" (line {where[0].lineno})" if where and where[0].filename == args.file else ""
        if isinstance(err, SyntaxError):
            line = f" (line {err.lineno})"
        return _fail(f"{args.file}{line}: {type(err).__name__}: {err}")
    answered = [n for n in exercises.list() if namespace.get(n) is not None]
    if not answered:
        return _fail(f"{args.file} defines none of the exercises ({', '.join(exercises.list())})")
    reports = [exercises.check(n, namespace) for n in answered]
    for report in reports:
        print(report)
    right = sum(bool(r) for r in reports)
    print(f"\n{right} of {len(reports)} answered right; "
          f"{len(exercises.list()) - len(reports)} not answered yet")
    return 0 if right == len(reports) else 1


def _fail(message: str) -> int:
    print(f"microgradnn: error: {message}", file=sys.stderr, flush=True)
    return 2

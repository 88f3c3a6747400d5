"""`microgradnn exercises`: lists the exercises, shows one, grades a file of answers."""
import pytest

from microgradnn import exercises
from microgradnn.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_without_a_file_it_lists_every_exercise_with_its_page(capsys):
    status, out, _ = run(capsys, "exercises")
    assert status == 0
    for name in exercises.list():
        assert name in out and exercises.EXERCISES[name].page in out


def test_show_prints_the_statement(capsys):
    status, out, _ = run(capsys, "exercises", "--show", "dual_mul")
    assert status == 0 and out.strip() == exercises.statement("dual_mul")


def test_show_an_unknown_exercise_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["exercises", "--show", "nope"])
    assert exit_.value.code == 2 and "invalid choice: 'nope'" in capsys.readouterr().err


def test_a_file_of_reference_answers_passes_with_status_0(capsys, tmp_path):
    path = tmp_path / "answers.py"
    path.write_text("\n".join(exercises.solution_source(n) for n in exercises.list()))
    status, out, _ = run(capsys, "exercises", str(path))
    assert status == 0
    n = len(exercises.list())
    assert f"{n} of {n} answered right; 0 not answered yet" in out


def test_a_wrong_answer_is_named_and_exits_with_status_1(capsys, tmp_path):
    path = tmp_path / "answers.py"
    path.write_text("value_used_twice = 24.0\n"
                    "def dual_mul(a, b):\n    return a[0] * b[0], a[1] * b[1]\n")
    status, out, _ = run(capsys, "exercises", str(path))
    assert status == 1
    assert "value_used_twice: wrong — 24 is the sum over some of the paths only" in out
    assert "tangents multiplied" in out
    assert "0 of 2 answered right" in out


def test_a_file_that_fails_to_run_is_one_line_with_its_line_number(capsys, tmp_path):
    path = tmp_path / "answers.py"
    path.write_text("x = 1\nraise ValueError('half done')\n")
    status, out, err = run(capsys, "exercises", str(path))
    assert status == 2 and "(line 2): ValueError: half done" in err and "Traceback" not in err


def test_a_file_with_a_syntax_error_names_the_line(capsys, tmp_path):
    path = tmp_path / "answers.py"
    path.write_text("def dual_mul(a, b)\n    return 1\n")
    status, _, err = run(capsys, "exercises", str(path))
    assert status == 2 and "(line 1): SyntaxError" in err


def test_a_file_defining_no_exercise_says_so(capsys, tmp_path):
    path = tmp_path / "answers.py"
    path.write_text("x = 1\n")
    status, _, err = run(capsys, "exercises", str(path))
    assert status == 2 and "defines none of the exercises" in err


def test_a_missing_file_is_one_line(capsys, tmp_path):
    status, _, err = run(capsys, "exercises", str(tmp_path / "none.py"))
    assert status == 2 and "none.py" in err

"""HTTP error statuses are chosen in web/errors.py alone (issue #12, point 5).

An AST walk over web/ finds every integer literal between 400 and 599 in code (docstrings are
strings, so prose may still name statuses). Only web/errors.py may hold one; everything else
asks it (`status_for`, `http_status`). The one other number in that range that is not a
status is named below, by the call it is an argument of.
"""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
ALLOWED = {WEB / "errors.py"}
NOT_STATUSES = {"Clamped"}  # schemas.Clamped(1, 500): a page-size limit


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def literal_statuses(source: str) -> list[int]:
    """Line numbers of integer literals 400-599 that are not arguments of NOT_STATUSES."""
    tree = ast.parse(source)
    exempt = {id(arg) for node in ast.walk(tree)
              if isinstance(node, ast.Call) and _call_name(node) in NOT_STATUSES
              for arg in node.args}
    return sorted(node.lineno for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and type(node.value) is int
                  and 400 <= node.value <= 599 and id(node) not in exempt)


def test_the_walk_finds_each_kind_of_literal_status():
    source = '''
def a():
    return page, 422
def b():
    return render_template("x.html", status=400)
def c():
    abort(404)
def d(status: int = 409):
    return _public_error(429, "slow down")
def fine(status: int = 200):
    """Answers 422 on a bad value."""
    limit = Clamped(1, 500)
    return page, status_for(err)
'''
    assert literal_statuses(source) == [3, 5, 7, 8, 9]


def test_no_error_status_is_chosen_outside_web_errors():
    found = {}
    for path in sorted(WEB.rglob("*.py")):
        if path in ALLOWED or "migrations" in path.parts:
            continue
        lines = literal_statuses(path.read_text(encoding="utf-8"))
        if lines:
            found[str(path.relative_to(WEB))] = lines
    assert found == {}

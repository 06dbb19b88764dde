"""The error codes are one catalogue: every code the code base answers is a named constant listed there,
every listed code is used, and docs/errors.md is what the catalogue generates."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "shared" / "checkout", ROOT / "functions"]


def _python_files() -> list[Path]:
    return [p for root in SOURCES for p in sorted(root.rglob("*.py")) if p.name != "error_codes.py"]


def loose_codes(tree: ast.AST) -> list[str]:
    """Error codes written as string literals: `code="x"` arguments, `code = "x"` class attributes and the
    code argument of error_response(status, "x", ...)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if (
                    kw.arg == "code"
                    and isinstance(kw.value, ast.Constant)
                    and isinstance(kw.value.value, str)
                ):
                    found.append(kw.value.value)
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "error_response" and len(node.args) >= 2:
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append(arg.value)
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and [getattr(t, "id", None) for t in stmt.targets] == ["code"]
                    and isinstance(stmt.value, ast.Constant)
                ):
                    found.append(str(stmt.value.value))
    return found


def used_constants(tree: ast.AST) -> set[str]:
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "codes"
    }


def test_no_error_code_is_a_loose_string():
    loose = {str(p.relative_to(ROOT)): loose_codes(ast.parse(p.read_text())) for p in _python_files()}
    assert {path: codes for path, codes in loose.items() if codes} == {}


def test_the_scan_finds_loose_codes_in_every_form_it_checks():
    sample = ast.parse(
        'raise BadRequest("x", code="a")\n'
        "class E(CheckoutError):\n    code = 'b'\n"
        'error_response(400, "c", "message")\n'
        "raise BadRequest('x', code=codes.EMPTY_CART)\n"
    )
    assert sorted(loose_codes(sample)) == ["a", "b", "c"]


def test_every_constant_is_catalogued_and_used_and_every_entry_has_a_constant():
    sys.path.insert(0, str(ROOT / "shared"))
    from checkout import error_codes

    constants = {
        name: value
        for name, value in vars(error_codes).items()
        if name.isupper() and isinstance(value, str) and value in error_codes.CATALOGUE
    }
    assert set(constants.values()) == set(error_codes.CATALOGUE)
    used: set[str] = set()
    for path in _python_files():
        used |= used_constants(ast.parse(path.read_text()))
    assert used - set(constants) == set(), "codes.X that the catalogue does not define"
    assert set(constants) - used == set(), "catalogued codes nothing answers with"
    for entry in error_codes.CATALOGUE.values():
        assert entry.status in (0, 400, 401, 403, 404, 409, 413, 415, 422, 500, 502, 503), entry
        assert entry.retry in (error_codes.NEVER, error_codes.NOW, error_codes.AFTER, error_codes.LATER)
        assert entry.action.endswith("."), entry.code


def test_error_classes_answer_with_their_catalogued_status():
    sys.path.insert(0, str(ROOT / "shared"))
    from checkout import errors
    from checkout.error_codes import CATALOGUE

    classes = [
        c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.CheckoutError)
    ]
    assert len(classes) > 15
    for cls in classes:
        assert CATALOGUE[cls.code].status == cls.status, cls.__name__


def test_docs_errors_md_is_what_the_catalogue_generates():
    sys.path.insert(0, str(ROOT / "tools"))
    import generate_errors_doc

    assert (ROOT / "docs" / "errors.md").read_text(encoding="utf-8") == generate_errors_doc.render(), (
        "docs/errors.md is stale: run `make errors-doc`"
    )


def test_each_raise_uses_a_code_of_its_classs_status():
    """`BadRequest(..., code=codes.X)`: X is catalogued with BadRequest's status (400), and so on."""
    sys.path.insert(0, str(ROOT / "shared"))
    from checkout import error_codes, errors

    classes = {
        name: c
        for name, c in vars(errors).items()
        if isinstance(c, type) and issubclass(c, errors.CheckoutError)
    }
    checked = 0
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            cls = classes.get(getattr(node.func, "id", None) or "")
            for kw in node.keywords:
                if cls is not None and kw.arg == "code" and isinstance(kw.value, ast.Attribute):
                    code = getattr(error_codes, kw.value.attr)
                    assert error_codes.CATALOGUE[code].status == cls.status, f"{path}:{node.lineno}"
                    checked += 1
    assert checked >= 20

"""Which codes the switch's own source raises, and with which HTTP status.

`raised_codes()` reads every module of `hutong` (its syntax tree, nothing is
run) for the construction of a `HutongError` (any subclass) whose code is
written out: `NotFoundError("...", code="unknown_offer")`,
`OrderError("unknown_offer", "...")` (a `RuleBroken`, whose first argument is
its code), or a class's own `code` where the call names none. The status is
`hutong.api.errors.STATUS_OF_KIND` of its kind: a `kind=Kind.X` the call
passes, else the `RuleBroken`'s `kinds` for the code (its `invalid_*` rule),
else the class's kind. Codes held in variables are not seen.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import hutong
from hutong.api.errors import STATUS_OF_KIND
from hutong.protocol.errors import HutongError, Kind, RuleBroken

__all__ = ["raised_codes"]

#: Where a code is raised: "path/of/module.py:line" under src/hutong.
Site = str


def _error_classes() -> dict[str, type[HutongError]]:
    """Every `HutongError` subclass of `hutong`, by name (its modules imported)."""
    for module in pkgutil.walk_packages(hutong.__path__, "hutong."):
        importlib.import_module(module.name)
    found: dict[str, type[HutongError]] = {}
    pending: list[type[HutongError]] = [HutongError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _kind(node: ast.expr) -> Kind | None:
    """`Kind.X` written out (None: computed)."""
    match node:
        case ast.Attribute(value=ast.Name(id="Kind"), attr=attr):
            return Kind[attr]
    return None


def _code_and_status(cls: type[HutongError], call: ast.Call) -> tuple[str, int] | None:
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    written = keywords.get("code")
    if written is None and issubclass(cls, RuleBroken) and call.args:
        written = call.args[0]
    code = cls.code if written is None else _literal(written)
    if code is None:
        return None
    kind: Kind | None
    if "kind" in keywords:
        kind = _kind(keywords["kind"])
        if kind is None:
            return None
    elif issubclass(cls, RuleBroken):
        kind = cls.kinds.get(code) or (Kind.INVALID if code.startswith("invalid_") else cls.kind)
    else:
        kind = cls.kind
    return code, STATUS_OF_KIND[kind]


def raised_codes() -> dict[str, dict[int, list[Site]]]:
    """Each code written out in `hutong`'s source: its statuses, each with where it is raised."""
    classes = _error_classes()
    root = Path(hutong.__file__).parent
    found: dict[str, dict[int, list[Site]]] = {}
    for source in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func
            name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
            cls = classes.get(name)
            raised = None if cls is None else _code_and_status(cls, node)
            if raised is not None:
                code, status = raised
                site = f"{source.relative_to(root)}:{node.lineno}"
                found.setdefault(code, {}).setdefault(status, []).append(site)
    return found

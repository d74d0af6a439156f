"""The layering is a checked rule, not a convention (docs/architecture.md).

`lint-imports` runs in scripts/test.sh with the contracts in pyproject.toml;
these tests show that a forbidden import really breaks it, and that
importing a domain service loads no web framework or HTTP client.

The suite has a layering of its own: test modules share code only through
the fixture library `tests/harness` (fixtures in `tests/conftest.py`), never
by importing one another (a `tests.<package>.test_*` module, absolute or
relative, plain or `from tests.<package> import test_*`).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: Modules a domain service's import must not load.
HTTP_LIBRARIES = ("litestar", "aiohttp", "httpx", "uvicorn", "typer")

DOMAIN_SERVICES = (
    "hutong.commerce",
    "hutong.payments",
    "hutong.logistics",
    "hutong.ledger",
    "hutong.links",
    "hutong.registry",
)


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The project's source and contracts, copied so that a test may break them."""
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("ledger/engine.py", "hutong.payments", "The ledger imports no business package"),
        ("protocol/signing.py", "hutong.store", "The protocol imports nothing of hutong"),
        ("registry/service.py", "litestar", "Domain packages never import the HTTP layer"),
    ],
)
def test_a_forbidden_import_breaks_the_layering_check(
    tree_copy: Path, module: str, forbidden: str, contract: str
) -> None:
    assert _lint(tree_copy).returncode == 0, "the tree must pass before it is broken"
    source = tree_copy / "src" / "hutong" / module
    source.write_text(source.read_text() + f"\nimport {forbidden}  # noqa\n")

    broken = _lint(tree_copy)

    assert broken.returncode != 0
    assert contract in broken.stdout
    assert f"-> {forbidden}" in broken.stdout


@pytest.mark.parametrize("package", DOMAIN_SERVICES)
def test_importing_a_domain_package_loads_no_web_framework_or_http_client(package: str) -> None:
    probe = (
        "import importlib, pkgutil, sys\n"
        f"root = importlib.import_module({package!r})\n"
        "for info in pkgutil.walk_packages(root.__path__, root.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        f"print(','.join(sorted(m for m in {HTTP_LIBRARIES!r} if m in sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    assert loaded == "", f"importing {package} loads {loaded}"


# -- the suite's own rule: no module under tests/ imports a test module ----------------------


def _module_name(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root.parent).with_suffix("").parts)


def _is_test_module(module: str) -> bool:
    return module.rsplit(".", 1)[-1].startswith("test_")


def _imported_modules(path: Path, root: Path) -> list[str]:
    """Every module `path` imports, absolute, including `from package import module`."""
    package = _module_name(path, root).rsplit(".", 1)[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
            found += [base] if _is_test_module(base) else names
    return found


def imports_of_test_modules(root: Path) -> list[str]:
    """`file: module` for each import of a test module by a module under `root` (tests/)."""
    return [
        f"{path.relative_to(root.parent)}: {module}"
        for path in sorted(root.rglob("*.py"))
        for module in _imported_modules(path, root)
        if module.split(".")[0] == root.name and _is_test_module(module)
    ]


def test_no_test_module_imports_another_test_module() -> None:
    assert imports_of_test_modules(ROOT / "tests") == [], "move what is shared into tests/harness"


def test_an_import_of_a_test_module_in_any_spelling_is_caught(tmp_path: Path) -> None:
    suite = tmp_path / "tests"
    (suite / "audit").mkdir(parents=True)
    (suite / "harness").mkdir()
    (suite / "audit" / "test_checks.py").write_text("DAY = 1\n")
    (suite / "harness" / "audit.py").write_text("DAY = 1\n")
    (suite / "audit" / "test_fine.py").write_text(
        "import tests.harness.audit\n"
        "from tests.harness.audit import DAY\n"
        "from tests import harness\n"
        "from ..harness.audit import DAY\n"
    )
    (suite / "audit" / "test_bad.py").write_text(
        "from tests.audit.test_checks import DAY\n"
        "import tests.audit.test_checks\n"
        "from tests.audit import test_checks\n"
        "from .test_checks import DAY\n"
        "from . import test_checks\n"
    )

    found = imports_of_test_modules(suite)

    assert found == [
        "tests/audit/test_bad.py: tests.audit.test_checks",
        "tests/audit/test_bad.py: tests.audit.test_checks",
        "tests/audit/test_bad.py: tests.audit.test_checks",
        "tests/audit/test_bad.py: tests.audit.test_checks",
        "tests/audit/test_bad.py: tests.audit.test_checks",
    ]

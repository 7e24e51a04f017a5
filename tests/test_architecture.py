"""The one direction of the house (issue 10), checked on the source: no first-party import
inside a function. Such an import hides a dependency from import-linter (pyproject.toml) and
usually dodges a cycle; the few that a framework requires are listed with their reason."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("fund_manager", "workflows", "policies")

# (module path, imported module) -> why it must stay inside the function.
ALLOWED = {
    ("fund_manager/core/apps.py", ".lockout"): "signal receivers connect in AppConfig.ready()",
    ("fund_manager/core/apps.py", ".audit"): "signal receivers connect in AppConfig.ready()",
    ("fund_manager/public/apps.py", ".checks"): "system checks register in AppConfig.ready()",
    ("fund_manager/reporting/apps.py", ".journal"): "signal receivers connect in AppConfig.ready()",
}


def _first_party(name):
    return name.split(".")[0] in PACKAGES


def _imports_in_functions(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{'.' * node.level}{node.module}"]
            elif isinstance(node, ast.ImportFrom):
                names = [f"{'.' * node.level}{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith(".") or _first_party(name):
                    yield node.lineno, name


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_first_party_import_inside_a_function():
    offenders = sorted(
        {
            f"{path.relative_to(ROOT)}:{line} imports {name}"
            for path in _modules()
            for line, name in _imports_in_functions(path)
            if (str(path.relative_to(ROOT)), name) not in ALLOWED
        }
    )
    assert offenders == [], "Import at module level (or list it in ALLOWED with a reason):\n" + (
        "\n".join(offenders)
    )


def test_every_allowed_import_is_still_there():
    """An entry whose import is gone is removed from the list, so the list stays short."""
    found = {
        (str(path.relative_to(ROOT)), name)
        for path in _modules()
        for _line, name in _imports_in_functions(path)
    }
    assert set(ALLOWED) - found == set()

"""Question answering stands apart from HTTP: `service.answers` never reaches into `service.web`.

Read two ways: every import statement written in the package, and what importing `QAService` really
loads in a fresh interpreter (which also catches a dependency pulled in through another package).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from conftest import REPO

ANSWERS = REPO / "service" / "answers"
HTTP_MODULES = ("fastapi", "starlette", "uvicorn", "service.web")


def _imports(path):  # type: ignore[no-untyped-def]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _is_http(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in HTTP_MODULES)


def test_no_module_of_the_answers_package_imports_http() -> None:
    modules = sorted(ANSWERS.rglob("*.py"))
    assert len(modules) > 20
    found = {
        str(path.relative_to(REPO)): name for path in modules for name in _imports(path) if _is_http(name)
    }
    assert found == {}


def test_importing_the_question_answering_service_loads_no_http_module() -> None:
    code = (
        "import json, sys; import service.answers.qa; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'uvicorn') or m.startswith('service.web'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []

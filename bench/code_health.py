"""Code-health figures for the tree (issue 10): module sizes, longest functions, cross-app model
imports and task names spelled more than once. One command, prints the figures:

    .venv/bin/python bench/code_health.py [PATH]     # PATH: a checkout, default this one
"""

from __future__ import annotations

import ast
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

APPS = ("reclio", "catalog", "users", "recsys", "feeds", "admin_tools")
TASK_NAME = re.compile(r"^(?:" + "|".join(APPS) + r")\.[a-z_]+$")


def _modules(root: Path) -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (root / app).rglob("*.py")
        # Settings modules are configuration, except the beat schedule (it names tasks).
        if "migrations" not in path.parts and ("settings" not in path.parts or path.name == "celery.py")
    )


def _under_type_checking(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in ast.walk(node):
                if hasattr(child, "lineno"):
                    lines.add(child.lineno)
    return lines


def main(root: Path) -> None:
    modules = _modules(root)
    sizes = sorted(len(path.read_text().splitlines()) for path in modules)
    functions: list[tuple[int, str]] = []
    cross_app: list[str] = []
    literals: Counter[str] = Counter()
    for path in modules:
        rel = path.relative_to(root)
        app = rel.parts[0]
        tree = ast.parse(path.read_text())
        hidden = _under_type_checking(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.append((node.end_lineno - node.lineno + 1, f"{rel}::{node.name}"))  # type: ignore[operator]
            elif isinstance(node, ast.ImportFrom) and node.module and node.lineno not in hidden:
                parts = node.module.split(".")
                if parts[0] in APPS and parts[0] not in (app, "reclio") and "models" in parts:
                    cross_app.append(f"{rel}:{node.lineno} {node.module}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and TASK_NAME.match(node.value):
                literals[node.value] += 1
    repeated = {name: count for name, count in literals.items() if count > 1}
    p90 = sizes[int(0.9 * (len(sizes) - 1))]
    print(
        f"modules: {len(sizes)}  lines: {sum(sizes)}  median {statistics.median(sizes):.0f}  p90 {p90}  max {sizes[-1]}"
    )
    print("longest functions:")
    for length, name in sorted(functions, reverse=True)[:6]:
        print(f"  {length:4d}  {name}")
    print(f"imports of another app's models (outside TYPE_CHECKING): {len(cross_app)}")
    for line in cross_app:
        print(f"  {line}")
    print(f"task-name literals spelled more than once: {len(repeated)}")
    for name, count in sorted(repeated.items()):
        print(f"  {count}x {name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)

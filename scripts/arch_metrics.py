"""Architecture figures for the note of issue #11: view functions that commit, imports placed
inside functions, the longest files and radon's most complex functions.

    .venv/bin/python scripts/arch_metrics.py
"""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "ntbase"


def is_route(fn: ast.AST) -> bool:
    for dec in getattr(fn, "decorator_list", []):
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and target.attr in {"route", "get", "post", "put", "patch", "delete"}:
            return True
    return False


def main() -> None:
    committing_views = 0
    in_function_imports = 0
    lengths = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lengths.append((len(text.splitlines()), str(path.relative_to(ROOT.parent))))
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for sub in ast.walk(node):
                    if sub is not node and isinstance(sub, (ast.Import, ast.ImportFrom)):
                        in_function_imports += 1
                if is_route(node) and "session.commit" in ast.unparse(node):
                    committing_views += 1
    print(f"view functions that commit: {committing_views}")
    print(f"imports inside functions:   {in_function_imports}")
    print("longest files:")
    for n, p in sorted(lengths, reverse=True)[:5]:
        print(f"  {n:5d}  {p}")
    print("radon's most complex functions:")
    out = subprocess.run([sys.executable, "-m", "radon", "cc", "-s", "-j", str(ROOT)],
                         capture_output=True, text=True, check=False).stdout
    import json

    rows = []
    for f, items in (json.loads(out) if out else {}).items():
        for it in items:
            if it["type"] in {"function", "method"}:
                rows.append((it["complexity"], f.replace(str(ROOT.parent) + "/", ""), it.get("classname") or "", it["name"]))
    rows.sort(reverse=True)
    for c, f, cls, name in rows[:5]:
        print(f"  {c:3d}  {f}  {(cls + '.') if cls else ''}{name}")


if __name__ == "__main__":
    main()

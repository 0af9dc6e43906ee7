"""Parses every .py file under the given folders and fails, naming each file and line, on a syntax error.

The benchmarks' PyTorch peers (tests/bench/*.py) run only when a benchmark does, never under ctest: this test
is what stops one of them breaking unseen (inception_fid_bench.py once carried an unclosed parenthesis for a day).
Parses only (ast), so nothing is imported or written (no __pycache__ in the source tree).
"""
import ast
import pathlib
import sys

failures = []
count = 0
for folder in sys.argv[1:]:
    for path in sorted(pathlib.Path(folder).rglob("*.py")):
        count += 1
        try:
            ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as error:
            failures.append(f"{path}:{error.lineno}: {error.msg}")
print(f"{count} Python files parsed, {len(failures)} with a syntax error")
for failure in failures:
    print(failure)
sys.exit(1 if failures or count == 0 else 0)

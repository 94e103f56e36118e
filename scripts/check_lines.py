"""`make lint`'s length check: no line over 120 characters and no file over 600 lines in the project's
Swift, C and Python sources under Sources/, python/ and Tests/ (ruff and clang-format check line length
too, for their languages; swift-format's own line-length findings are layout findings that
scripts/lint_swift.sh drops). Prints each violation as path:line and exits 1 when there is one.

    python3 scripts/check_lines.py
"""
import subprocess
import sys
from pathlib import Path

MAX_COLUMNS = 120
MAX_LINES = 600
ROOTS = ("Sources", "python", "Tests")
SUFFIXES = {".swift", ".c", ".h", ".py", ".pyi"}
ROOT = Path(__file__).resolve().parents[1]


def tracked_files():
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", *ROOTS],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / name for name in listed if Path(name).suffix in SUFFIXES and (ROOT / name).is_file()]


def main():
    problems = []
    for path in tracked_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        name = path.relative_to(ROOT)
        if len(lines) > MAX_LINES:
            problems.append(f"{name}: {len(lines)} lines (at most {MAX_LINES})")
        for number, line in enumerate(lines, 1):
            if len(line) > MAX_COLUMNS:
                problems.append(f"{name}:{number}: {len(line)} characters (at most {MAX_COLUMNS})")
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_lines: {len(problems)} problem(s)")
        return 1
    print("check_lines: no line over 120 characters, no file over 600 lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())

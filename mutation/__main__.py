"""``python -m mutation [NAME-PART ...]``: apply each named mutant (or those whose name holds
one of the parts) to a copy of the tree, one at a time, run its tests there, and report it
killed or survived. The working tree is never changed. Exit status 1 when a mutant survived
or could not be applied, or when the tests fail without any mutant."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from mutation.named import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parent.parent
PYTEST = ("-m", "pytest", "-p", "no:cacheprovider", "-q", "-x")
FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


def copy_tree(target: Path) -> None:
    """The files git knows of (committed or not, ignored ones left out) copied to ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run_tests(tree: Path, tests: Sequence[str]) -> tuple[int, str]:
    """pytest's exit status and output for ``tests``, importing the code of ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, *PYTEST, *tests], cwd=tree, env=env, capture_output=True, text=True
    )
    return done.returncode, done.stdout + done.stderr


def try_mutant(tree: Path, mutant: Mutant) -> str:
    """``killed by TEST``, ``SURVIVED`` or ``ERROR: why``: the mutant's fate in ``tree``."""
    path = tree / mutant.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutant.old) != 1:
        found = original.count(mutant.old)
        return f"ERROR: its code occurs {found} times in {mutant.path}, not once"
    path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
    try:
        status, output = run_tests(tree, mutant.tests)
    finally:
        path.write_text(original, encoding="utf-8")
    if status == 0:
        return "SURVIVED"
    if status == 1:
        failed = FAILED.search(output)
        return f"killed by {failed.group(1) if failed else 'a failing test'}"
    return f"ERROR: pytest exited {status}:\n{output[-2000:]}"


def main(parts: Sequence[str]) -> int:
    chosen = [m for m in MUTANTS if not parts or any(p in m.name for p in parts)]
    if not chosen:
        print(f"no named mutant matches {' '.join(parts)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="r2k-mutants-") as directory:
        tree = Path(directory)
        copy_tree(tree)
        tests = sorted({test for mutant in chosen for test in mutant.tests})
        status, output = run_tests(tree, tests)
        if status != 0:
            print(f"the tests fail without any mutant:\n{output[-3000:]}", file=sys.stderr)
            return 1
        fates = []
        for mutant in chosen:
            started = time.monotonic()
            fate = try_mutant(tree, mutant)
            fates.append(fate)
            print(f"{mutant.name} ({mutant.path}): {fate} [{time.monotonic() - started:.0f} s]")
    killed = sum(fate.startswith("killed") for fate in fates)
    print(f"named mutants: {killed} of {len(fates)} killed")
    return 0 if killed == len(fates) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

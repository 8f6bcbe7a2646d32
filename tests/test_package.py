"""Package hygiene: standard library only (never NumPy), fresh checksum manifest, thin entry shim."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "spinefairbench"


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_package_imports_only_the_standard_library():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")) + [REPO / "reviewer_verify.py"]:
        foreign = {name for name in imported_top_level_modules(path)
                   if name not in sys.stdlib_module_names and name != "spinefairbench"}
        if foreign:
            offenders[str(path.relative_to(REPO))] = sorted(foreign)
    assert offenders == {}


def test_numpy_is_never_imported_at_run_time():
    code = ("import sys, spinefairbench.cli, spinefairbench.stats.bootstrap, spinefairbench.release.scoring;"
            "spinefairbench.cli.build_parser(); print('numpy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_checksum_manifest_and_prompt_identities_are_fresh():
    result = subprocess.run([sys.executable, "scripts/update_checksums.py", "--check"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_manifest_verifies_with_the_checksums_command():
    result = subprocess.run([sys.executable, "reviewer_verify.py", "checksums"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Checksum verification: ")


def test_entry_shim_is_thin():
    source = (REPO / "reviewer_verify.py").read_text(encoding="utf-8")
    assert "from spinefairbench.cli import main" in source
    assert len(source.splitlines()) < 20

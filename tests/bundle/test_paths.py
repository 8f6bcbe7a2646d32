"""Release-relative path rule and containment, including symlink escapes."""

import os

import pytest

from spinefairbench.bundle.paths import check_release_relative, contained, required
from spinefairbench.errors import SpineFairBenchError


@pytest.mark.parametrize("name", ["", "a\\b", "C:data/a.json", "/etc/hostname", "../x", "a/../b", "./a",
                                  "a//b", "a/./b", "a/.", "a/", "..", "c:", "\\\\server\\share"])
def test_rejects_non_canonical_names(name):
    with pytest.raises(SpineFairBenchError) as info:
        check_release_relative(name)
    assert str(info.value) == f"Invalid release-relative path: {name!r}"


@pytest.mark.parametrize("name", ["a", "a/b.json", "data/b c.txt", ".", ".hidden", "a..b", "...x"])
def test_accepts_canonical_names(name):
    check_release_relative(name)


def test_symlinked_file_escaping_root_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret").write_text("x")
    os.symlink(tmp_path / "secret", root / "link")
    with pytest.raises(SpineFairBenchError, match=r"^Release path escapes its root: 'link'$"):
        contained(root, "link")


def test_symlinked_intermediate_directory_escaping_root_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "f").write_text("x")
    os.symlink(tmp_path / "outside", root / "dir")
    with pytest.raises(SpineFairBenchError, match="escapes its root: 'dir/f'"):
        contained(root, "dir/f")


def test_symlink_inside_root_is_allowed(tmp_path):
    (tmp_path / "real").write_text("x")
    os.symlink(tmp_path / "real", tmp_path / "alias")
    assert contained(tmp_path, "alias").name == "alias"


def test_required_names_the_relative_path(tmp_path):
    with pytest.raises(SpineFairBenchError, match=r"^Missing required artifact: dataset/pairs.json$"):
        required(tmp_path, "dataset/pairs.json")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    with pytest.raises(SpineFairBenchError, match="Missing required artifact: dangling"):
        required(tmp_path, "dangling")

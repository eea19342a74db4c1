"""deploystate.ospath answers as pathlib does, on the strings the hooks' decision path keeps."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploystate import ospath

PARTS = st.lists(st.sampled_from(["a", "b", ".", "..", "", "c.d", " e"]), max_size=6)


@given(st.sampled_from(["", "/", "//", "///"]), PARTS, st.booleans())
def test_norm_is_purepath_text(lead: str, parts: list[str], trailing: bool) -> None:
    """norm gives str(PurePosixPath(p)) for roots, empty and dot parts, '..' and trailing slashes."""
    text = lead + "/".join(parts) + ("/" if trailing else "")
    assert ospath.norm(text) == str(PurePosixPath(text))


@given(st.sampled_from(["", "/"]), st.lists(st.sampled_from(["a", "b", "..", "c"]), max_size=5))
def test_parents_are_path_parents(lead: str, parts: list[str]) -> None:
    """parents walks the same ancestors as Path.parents, nearest first, relative paths ending at '.'."""
    text = ospath.norm(lead + "/".join(parts))
    assert list(ospath.parents(text)) == [str(p) for p in PurePosixPath(text).parents]


@given(st.lists(st.sampled_from(["a", "b", "c"]), max_size=4), st.lists(st.sampled_from(["a", "b"]), max_size=3))
def test_relative_parts_are_relative_to_parts(under: list[str], root: list[str]) -> None:
    """relative_parts equals PurePath.relative_to(...).parts, and raises ValueError where it does."""
    path, top = ospath.norm("/" + "/".join(under)), ospath.norm("/" + "/".join(root))
    try:
        want = PurePosixPath(path).relative_to(top).parts
    except ValueError:
        with pytest.raises(ValueError):
            ospath.relative_parts(path, top)
        return
    assert ospath.relative_parts(path, top) == want


def test_exists_is_file_is_dir_agree_with_pathlib(tmp_path: Path) -> None:
    """exists/is_file/is_dir give pathlib's answers for files, dirs, missing, dangling links, loops and NUL."""
    (tmp_path / "f").write_text("x")
    (tmp_path / "d").mkdir()
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    for name in ("f", "d", "missing", "dangling", "loop", "f/under-a-file", "nul\0byte"):
        p = tmp_path / name if "\0" not in name else Path(str(tmp_path) + "/" + name)
        s = str(tmp_path) + "/" + name
        assert (ospath.exists(s), ospath.is_file(s), ospath.is_dir(s)) == (p.exists(), p.is_file(), p.is_dir()), name


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every directory")
def test_a_permission_error_still_raises_as_pathlib_does(tmp_path: Path) -> None:
    """A directory that cannot be searched raises, as Path.exists does: a hook fails closed, not open."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        with pytest.raises(PermissionError):
            (locked / "x").exists()
        with pytest.raises(PermissionError):
            ospath.exists(str(locked / "x"))
    finally:
        locked.chmod(0o755)


def test_resolve_is_path_resolve(tmp_path: Path) -> None:
    """resolve follows links and normalises as Path.resolve (non-strict) does."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for text in (f"{tmp_path}/link/./x/../y", f"{tmp_path}//link/", "relative/./bit"):
        assert ospath.resolve(text) == str(Path(text).resolve())


def test_as_path_is_pathlib_path_made_once_and_bounded() -> None:
    """as_path gives Path(text), the same object for the same text, and its memo never grows past its bound."""
    first = ospath.as_path("/srv/app/./x//y")
    assert first == Path("/srv/app/./x//y") and type(first) is type(Path("/"))
    assert ospath.as_path("/srv/app/./x//y") is first
    for i in range(1000):
        assert ospath.as_path(f"/d/{i}") == Path(f"/d/{i}")
    assert len(ospath._PATHS) <= 256
    assert ospath.as_path("/srv/app/./x//y") == first  # cleared or kept, still the right path

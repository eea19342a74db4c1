"""A regular install's shims run ``python -I -S`` with site-packages put on the path by the shim: they judge
as the ``-I -m`` shims do, and refuse with a readable reason when deploystate cannot be imported from there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from deploystate.hooks.git import install

from .conftest import AGENT, regular_site_dir as _site


@pytest.fixture
def regular(shop, tmp_path, monkeypatch):
    """The shop with its shims installed as for a regular install in ``site``."""
    site = _site(tmp_path)
    monkeypatch.setattr(install, "regular_site", lambda python: str(site))
    install.install(shop.path, python=sys.executable)
    shop.site = site
    return shop


def test_the_probe_finds_a_regular_install_and_not_an_editable_one(tmp_path):
    """SITE_PROBE names site-packages for deploystate installed there, and nothing for the test venv's
    editable install (whose shims keep -I -m)."""
    site = _site(tmp_path)
    probe = f"import sys; sys.path.insert(0, {str(site)!r})\n" + install.SITE_PROBE
    res = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60)
    assert res.stdout.strip() == str(site), res.stderr
    shutil.rmtree(site / "deploystate-0.0.dist-info")
    res = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == ""
    assert install.regular_site(sys.executable) is None
    assert install.shim_argv("pre-push", "py", None) == ["py", "-I", "-m", "deploystate.hooks", "pre-push"]


def test_regular_shims_run_isolated_without_site(regular):
    """Every shim of a regular install starts -I -S with its site-packages and the hook's failure status."""
    hooks_dir = regular.path / ".git" / "hooks"
    for hook, fail in (("pre-push", "1"), ("commit-msg", "1"), ("post-commit", "0"), ("post-merge", "0")):
        text = (hooks_dir / hook).read_text()
        assert '"$PY" -I -S -c ' in text and f" {regular.site} {fail} {hook} " in text
        assert "-m deploystate.hooks" not in text


def test_regular_shim_judges_pushes(regular):
    """An unverified deploy refuses the push through the -I -S shim; once verified the push goes through."""
    regular.change("api/app.py", "print(2)\n")
    regular.deploy("api", author=AGENT)
    res = regular.push()
    assert res.returncode != 0 and "refusing to push main to origin" in res.stderr
    regular.verify("api", "pass")
    res = regular.push()
    assert res.returncode == 0, res.stderr
    assert "push to main allowed" in res.stderr


def test_regular_shim_fails_closed_when_deploystate_is_gone(regular):
    """With deploystate gone from site-packages, a push and a claim are refused with what to do, and a
    post-commit only warns."""
    regular.change("api/app.py", "print(2)\n")
    regular.deploy("api", author=AGENT)
    regular.verify("api", "pass")
    shutil.rmtree(regular.site / "deploystate")
    res = regular.push()
    assert res.returncode != 0
    assert f"the pre-push hook cannot import deploystate from {regular.site}" in res.stderr
    assert "refusing" in res.stderr and "re-run `deploystate hooks install --git`" in res.stderr
    regular.repo.write("api/app.py", "print(9)\n")
    regular.git("add", "-A")
    res = regular.git("commit", "-m", "api deployed and verified working")
    assert res.returncode != 0 and "the commit-msg hook cannot import deploystate" in res.stderr
    res = regular.git("commit", "-m", "tidy the api")
    assert res.returncode == 0, res.stderr
    assert "the post-commit hook cannot import deploystate" in res.stderr and "refusing" not in res.stderr
    assert os.access(regular.path / ".git" / "hooks" / "pre-push", os.X_OK)

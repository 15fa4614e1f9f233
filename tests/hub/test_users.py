"""Candidate accounts and logins."""
from __future__ import annotations

import grp
import os
import pwd
import stat
import subprocess
import sys

import pytest

from livescreen.hub import users

from .conftest import needs_root, unique_id


def test_candidate_names_carry_the_prefix_and_bad_ids_are_refused():
    """Is a candidate recognisable by name, and is a bad id refused with one line?"""
    assert users.candidate_name("ada-1") == "lsc-ada-1"
    assert users.candidate_name("lsc-ada-1") == "lsc-ada-1"
    for bad in ("", "Ada", "a b", "../x", "x" * 30, "-x", "root;rm"):
        with pytest.raises(users.HubError, match="bad candidate id"):
            users.candidate_name(bad)


def test_logins_are_per_person_hashed_and_private(tmp_path):
    """Does each login get its own random password, stored only as a hash in a 0600 file in a 0700 folder?"""
    state = tmp_path / "state"
    a = users.set_login("lsc-a", role="candidate", state=state)
    b = users.set_login("lsc-b", role="candidate", state=state)
    assert a != b and len(a) >= 16
    text = (state / "logins.json").read_text()
    assert a not in text and b not in text
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(state / "logins.json").st_mode) == 0o600
    assert users.check_login("lsc-a", a, state=state)["role"] == "candidate"
    assert users.check_login("lsc-a", b, state=state) is None  # no shared password
    assert users.check_login("lsc-x", a, state=state) is None  # no accept-anyone
    assert users.check_login("lsc-a", "", state=state) is None


def test_cli_says_what_is_wrong_in_one_line():
    """Does `livescreen hub add-candidate` with a bad id exit 2 with one line and no traceback?"""
    res = subprocess.run([sys.executable, "-m", "livescreen.cli", "hub", "add-candidate", "Bad Id"],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "bad candidate id" in res.stderr and "Traceback" not in res.stderr


@needs_root
def test_add_candidate_makes_a_private_unprivileged_unix_user(hub_root):
    """Does add-candidate make a Unix user with a 0700 home, in no group but the candidates' (no sudo)?"""
    root, made = hub_root
    name, password = users.add_candidate(unique_id("u"), state=root / "state")
    made.append(name)
    info = pwd.getpwnam(name)
    assert name.startswith("lsc-")
    assert stat.S_IMODE(os.stat(info.pw_dir).st_mode) == 0o700
    assert os.stat(info.pw_dir).st_uid == info.pw_uid
    assert grp.getgrgid(info.pw_gid).gr_name == "livescreen-candidates"
    assert [g.gr_name for g in grp.getgrall() if name in g.gr_mem] == []
    assert info.pw_uid != 0
    assert users.check_login(name, password, state=root / "state")["role"] == "candidate"


@needs_root
def test_a_new_candidate_finds_matplotlib_font_list_ready(hub_root):
    """Does a new candidate's first kernel find matplotlib's font list in their home, built once with the
    candidate environment, instead of scanning every font on the machine during their first Run All?"""
    from livescreen.hub import candidate_env, paths
    env = paths.candidate_env()
    if not list((env / candidate_env.FONT_CACHE).glob("fontlist-*.json")):
        pytest.skip(f"the candidate environment at {env} has no font list: run `make candidate-env`")
    root, made = hub_root
    name, _ = users.add_candidate(unique_id("f"), state=root / "state")
    made.append(name)
    info = pwd.getpwnam(name)
    cache = os.path.join(info.pw_dir, ".cache", "matplotlib")
    assert os.stat(cache).st_uid == info.pw_uid and stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    res = subprocess.run(["setpriv", f"--reuid={info.pw_uid}", f"--regid={info.pw_gid}", "--clear-groups",
                          str(env / "bin" / "python"), "-c",
                          "import logging; logging.basicConfig(level=logging.INFO)\n"
                          "import matplotlib, matplotlib.font_manager as fm\n"
                          "print(matplotlib.get_cachedir()); print(fm.findfont('DejaVu Sans'))"],
                         capture_output=True, text=True, cwd="/", env={"HOME": info.pw_dir, "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.splitlines()[0] == cache
    assert res.stdout.splitlines()[1].endswith(".ttf")
    assert "generated new fontManager" not in res.stderr  # matplotlib's line when it scans the fonts

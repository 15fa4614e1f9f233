"""Delivery and collection through the interviewer side (no world-writable exchange).

nbgrader's default exchange is a mode-0777 folder every user can write and list (nbgrader #978,
#1225). Here the interviewer side does both moves itself, as root:

- ``deliver``: the candidate folder (notebook, data, schema) is built in the grader-only store and
  copied into ``/home/<candidate>/<scenario>/``, owned by the candidate; the truth stays in the
  store as ``<store>/<candidate>/truth.json``.
- ``collect``: ``/home/<candidate>/<scenario>/`` is copied into ``<store>/<candidate>/submission/``
  (0700, owned by the account running the interviewer tools). Symbolic links, devices and files over
  ``MAX_FILE`` are skipped, never followed: a candidate cannot make the collector copy someone
  else's file.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import tempfile
from pathlib import Path

from . import paths
from .users import HubError, candidate_name

MAX_FILE = 200 * 2 ** 20


def candidate_store(name: str, *, store: Path | None = None) -> Path:
    """``<store>/<name>``; the store and it 0700 (owner: the account running the interviewer tools)."""
    root = paths.private_dir(Path(store or paths.store_dir()))
    return paths.private_dir(root / name)


def _user(name: str):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise HubError(f"no Unix user {name}: add the candidate first (`livescreen hub add-candidate ID`)") from None


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, gid, follow_symlinks=False)
        for f in filenames:
            os.chown(os.path.join(dirpath, f), uid, gid, follow_symlinks=False)


def deliver(candidate_id: str, *, scenario: str, seed: int, store: Path | None = None, measure: bool = True,
            n_offline: int | None = None, n_production: int | None = None) -> Path:
    """Build ``scenario``'s variant ``seed`` for the candidate and put it in their home (``n_offline``,
    ``n_production``: its rows, default the scenario's).

    Returns the delivered folder (``/home/<candidate>/<scenario>``). The truth is written to
    ``<store>/<candidate>/truth.json`` only (with the measured outcomes unless ``measure`` is False:
    ``grading.measured``). An existing delivered folder is not replaced.
    """
    from livescreen.notebooks import candidate_folder
    name = candidate_name(candidate_id)
    user = _user(name)
    mine = candidate_store(name, store=store)
    dest = Path(user.pw_dir) / scenario
    if dest.exists():
        raise HubError(f"{dest} already exists: the candidate has their folder (collect it, or remove it first)")
    with tempfile.TemporaryDirectory(prefix=".deliver-", dir=mine) as tmp:
        folder = candidate_folder(scenario, seed=seed, out=Path(tmp) / scenario, truth=mine / "truth.json",
                                  measure=measure, n_offline=n_offline, n_production=n_production)
        os.chmod(mine / "truth.json", 0o600)
        (mine / "delivered.json").write_text(json.dumps({"scenario": scenario, "folder": str(dest)}))
        staged = Path(user.pw_dir) / f".{scenario}.delivering"
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(folder, staged)
        _chown_tree(staged, user.pw_uid, user.pw_gid)
        os.chmod(staged, 0o700)
        staged.rename(dest)
    return dest


def deliver_folder(folder: str | Path, *, user: str) -> Path:
    """Copy an already built candidate folder into ``user``'s home, owned by them (the session service's way in).

    ``livescreen session new --hub-user USER`` builds the folder and keeps the truth in its own
    store; this puts a copy at ``/home/<user>/<folder name>`` (0700, the candidate's). An existing
    folder of that name is not replaced.
    """
    name = candidate_name(user)
    info = _user(name)
    folder = Path(folder)
    dest = Path(info.pw_dir) / folder.name
    if dest.exists():
        raise HubError(f"{dest} already exists: the candidate has their folder (collect it, or remove it first)")
    staged = Path(info.pw_dir) / f".{folder.name}.delivering"
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(folder, staged, ignore=shutil.ignore_patterns(".livescreen", ".ipynb_checkpoints"))
    _chown_tree(staged, info.pw_uid, info.pw_gid)
    os.chmod(staged, 0o700)
    staged.rename(dest)
    return dest


def _copy_regular(src_root: Path, dest_root: Path) -> list[str]:
    """Copy regular files and folders only (no symlink followed); return what was skipped."""
    skipped = []
    dest_root.mkdir(parents=True)
    for dirpath, dirnames, filenames in os.walk(src_root, followlinks=False):
        rel = Path(dirpath).relative_to(src_root)
        for d in list(dirnames):
            st = os.lstat(os.path.join(dirpath, d))
            if not stat.S_ISDIR(st.st_mode) or d in (".ipynb_checkpoints", "__pycache__"):
                dirnames.remove(d)
                if not stat.S_ISDIR(st.st_mode):
                    skipped.append(str(rel / d))
                continue
            (dest_root / rel / d).mkdir()
        for f in filenames:
            p = os.path.join(dirpath, f)
            try:
                fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                skipped.append(str(rel / f))
                continue
            with os.fdopen(fd, "rb") as src:
                st = os.fstat(src.fileno())
                if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE:
                    skipped.append(str(rel / f))
                    continue
                with open(dest_root / rel / f, "wb") as out:
                    shutil.copyfileobj(src, out)
    return skipped


def collect(candidate_id: str, *, scenario: str | None = None, store: Path | None = None) -> Path:
    """Copy the candidate's folder into the grader-only store; return the collected copy.

    A new collection replaces the previous one (written beside it, then renamed).
    """
    name = candidate_name(candidate_id)
    user = _user(name)
    mine = candidate_store(name, store=store)
    if scenario is None:
        try:
            scenario = json.loads((mine / "delivered.json").read_text())["scenario"]
        except (OSError, ValueError, KeyError):
            raise HubError(f"nothing was delivered to {name}: pass --scenario, or deliver first") from None
    src = Path(user.pw_dir) / scenario
    if not src.is_dir() or src.is_symlink():
        raise HubError(f"no folder {src} to collect")
    dest = mine / "submission" / scenario
    tmp = mine / f".collect-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    skipped = _copy_regular(src, tmp / scenario)
    (tmp / "skipped.json").write_text(json.dumps(skipped))
    os.chmod(tmp, 0o700)
    old = mine / "submission"
    if old.exists():
        shutil.rmtree(old)
    tmp.rename(old)
    return dest


def truth_file(candidate_id: str, *, store: Path | None = None) -> Path:
    return Path(store or paths.store_dir()) / candidate_name(candidate_id) / "truth.json"

"""Candidate and interviewer accounts: a Unix user per candidate, a login per person.

A candidate ``ID`` becomes the Unix user and hub user ``lsc-ID`` (``paths.CANDIDATE_PREFIX``),
made with ``useradd``: a home of its own, mode 0700, a member of ``livescreen-candidates`` and of
no other group (no sudo). Each person gets a random password of their own, handed over by the
interviewer; only its scrypt hash is kept, in ``<state>/logins.json`` (0600, in the hub's 0700
state folder). Interviewers are hub admins and members of the hub group ``interviewers``; they need
no Unix user.

A candidate also gets a **one-time login link** (``link_path``): opening it logs them in once and
spends it (the hub's ``/hub/login-link`` handler, ``auth.LinkLoginHandler``); it expires after
``LINK_TTL_S``. Only its hash is kept, beside the password's. The password stays valid for a second
login (a closed browser, a new tab).
"""
from __future__ import annotations

import fcntl
import grp
import hashlib
import hmac
import json
import os
import pwd
import re
import secrets
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from . import paths

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,23}")
INTERVIEWER_GROUP = "interviewers"
LOGINS = "logins.json"
LINK_TTL_S = 24 * 3600  # a login link not opened within a day is refused
REMOVE_ATTEMPTS = 8  # userdel tries, 0.2 s apart and growing (about 6 s in all)


class HubError(ValueError):
    """Bad input or a missing precondition for the hub: one line, exit code 2 at the CLI."""


def candidate_name(candidate_id: str) -> str:
    """The Unix and hub user name of candidate ``candidate_id`` (checked)."""
    cid = str(candidate_id).strip()
    if cid.startswith(paths.CANDIDATE_PREFIX):
        cid = cid[len(paths.CANDIDATE_PREFIX):]
    if not ID_PATTERN.fullmatch(cid):
        raise HubError(f"bad candidate id {candidate_id!r}: use 1-24 lowercase letters, digits, '-' or '_', "
                       "starting with a letter or digit (e.g. ada-2026)")
    return paths.CANDIDATE_PREFIX + cid


def _require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise HubError(f"{what} needs root (it manages Unix users): run it with sudo")


# ----------------------------------------------------------------------------- logins
def _hash(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, n=2 ** 14, r=8, p=1).hex()


def _hashed(secret: str) -> dict:
    """What is stored of a password or link code: a fresh salt and the scrypt hash."""
    salt = secrets.token_bytes(16)
    return {"salt": salt.hex(), "hash": _hash(secret, salt)}


def _matches(secret: str, stored: dict) -> bool:
    return hmac.compare_digest(_hash(secret, bytes.fromhex(stored["salt"])), stored["hash"])


@contextmanager
def _logins(state: Path | None = None, *, write: bool = False):
    state = paths.private_dir(state or paths.state_dir()) if write else Path(state or paths.state_dir())
    path = state / LOGINS
    lock = open(state / ".logins.lock", "a+") if write else None
    try:
        if lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.is_file() else {}
        yield data
        if write:
            fd, tmp = tempfile.mkstemp(dir=state, prefix=".logins.")
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh, indent=1)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
    finally:
        if lock:
            lock.close()


def set_login(name: str, *, role: str, state: Path | None = None, password: str | None = None) -> str:
    """Give ``name`` a new random password (returned once; only its hash is stored)."""
    if role not in ("candidate", "interviewer"):
        raise HubError(f"unknown role {role!r}: candidate or interviewer")
    password = password or secrets.token_urlsafe(12)
    with _logins(state, write=True) as data:
        data[name] = {"role": role, **_hashed(password)}
    return password


def set_link(name: str, *, state: Path | None = None, ttl_s: float = LINK_TTL_S) -> str:
    """Give login ``name`` a new one-time link code (returned once; only its hash is stored)."""
    code = secrets.token_urlsafe(24)
    with _logins(state, write=True) as data:
        if name not in data:
            raise HubError(f"no hub login {name!r}: add the candidate first (livescreen hub add-candidate ID)")
        data[name]["link"] = {**_hashed(code), "expires": time.time() + ttl_s}
    return code


def link_path(name: str, code: str) -> str:
    """The link's path on the hub (prefix it with the hub's address)."""
    return f"/hub/login-link?name={name}&code={code}"


def redeem_link(name: str, code: str, *, state: Path | None = None) -> dict | None:
    """The login record of ``name`` if ``code`` is its live link, which is spent; else None."""
    if not isinstance(code, str) or not code or not isinstance(name, str):
        return None
    try:
        with _logins(state, write=True) as data:
            rec = data.get(name)
            link = (rec or {}).get("link")
            if not link:
                return None
            if not _matches(code, link):
                return None
            del rec["link"]  # spent, and an expired one is dropped too
            return rec if time.time() <= link["expires"] else None
    except (OSError, ValueError, KeyError):
        return None


def check_login(name: str, password: str, *, state: Path | None = None) -> dict | None:
    """The login record of ``name`` if ``password`` is theirs, else None."""
    try:
        with _logins(state) as data:
            rec = data.get(name)
    except (OSError, ValueError):
        return None
    if not rec or not isinstance(password, str) or not password:
        return None
    return rec if _matches(password, rec) else None


def login_role(name: str, *, state: Path | None = None) -> str | None:
    try:
        with _logins(state) as data:
            return (data.get(name) or {}).get("role")
    except (OSError, ValueError):
        return None


def logins(*, state: Path | None = None) -> dict[str, str]:
    """Every login name and its role."""
    with _logins(state) as data:
        return {k: v["role"] for k, v in sorted(data.items())}


def drop_login(name: str, *, state: Path | None = None) -> None:
    with _logins(state, write=True) as data:
        data.pop(name, None)


# ----------------------------------------------------------------------------- Unix users
def _run(cmd: list[str]) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise HubError(f"{' '.join(cmd[:2])} failed: {res.stderr.strip().splitlines()[-1] if res.stderr.strip() else res.returncode}")


def ensure_candidate_group() -> int:
    try:
        return grp.getgrnam(paths.CANDIDATE_GROUP).gr_gid
    except KeyError:
        _run(["groupadd", "--system", paths.CANDIDATE_GROUP])
        return grp.getgrnam(paths.CANDIDATE_GROUP).gr_gid


def add_candidate(candidate_id: str, *, state: Path | None = None) -> tuple[str, str]:
    """Create candidate ``candidate_id``'s Unix user and hub login; return ``(name, password)``.

    The home is ``/home/<name>``, mode 0700; the user belongs to ``livescreen-candidates`` only (no
    sudo, no admin group). Adding an existing candidate gives them a new password.
    """
    name = candidate_name(candidate_id)
    _require_root("adding a candidate")
    ensure_candidate_group()
    try:
        pwd.getpwnam(name)
        new = False
    except KeyError:
        _run(["useradd", "--create-home", "--shell", "/bin/bash", "--gid", paths.CANDIDATE_GROUP,
              "--comment", "livescreen candidate", name])
        new = True
    info = pwd.getpwnam(name)
    if new:  # a home nobody has used yet: no link planted by its owner to follow
        seed_font_cache(info)
    others = [g.gr_name for g in grp.getgrall() if name in g.gr_mem]
    if others:  # never in sudo, adm, wheel, ...
        _run(["usermod", "--groups", "", name])
    os.chmod(info.pw_dir, 0o700)
    password = set_login(name, role="candidate", state=state)
    return name, password


def seed_font_cache(info: pwd.struct_passwd, *, env: Path | None = None) -> Path | None:
    """Copy the candidate environment's matplotlib font list into a new home's cache, owned by its user.

    Without it the candidate's first kernel scans every font on the machine while drawing their first
    Run All (``candidate_env.font_cache``). Returns the copy, or None when the environment has no list.
    """
    from .candidate_env import FONT_CACHE
    found = sorted((Path(env or paths.candidate_env()) / FONT_CACHE).glob("fontlist-*.json"))
    if not found:
        return None
    folder = Path(info.pw_dir)
    for part in (".cache", "matplotlib"):
        folder = folder / part
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chown(folder, info.pw_uid, info.pw_gid, follow_symlinks=False)
    dest = folder / found[-1].name
    dest.write_bytes(found[-1].read_bytes())
    os.chown(dest, info.pw_uid, info.pw_gid, follow_symlinks=False)
    os.chmod(dest, 0o600)
    return dest


def remove_candidate(candidate_id: str, *, state: Path | None = None) -> str:
    """Remove the candidate's login, Unix user and home."""
    name = candidate_name(candidate_id)
    _require_root("removing a candidate")
    drop_login(name, state=state)
    try:
        pwd.getpwnam(name)
    except KeyError:
        return name
    # userdel refuses while a process of the user still runs: the killed ones may take a moment to go
    for attempt in range(REMOVE_ATTEMPTS):
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        try:
            _run(["userdel", "--remove", name])
            return name
        except HubError:
            if attempt == REMOVE_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    return name


def add_interviewer(name: str, *, state: Path | None = None) -> str:
    """A hub admin login for interviewer ``name``; returns the password."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", name) or name.startswith(paths.CANDIDATE_PREFIX):
        raise HubError(f"bad interviewer name {name!r}: lowercase letters, digits, '-' or '_', "
                       f"not starting with {paths.CANDIDATE_PREFIX!r}")
    return set_login(name, role="interviewer", state=state)


def candidates(*, state: Path | None = None) -> list[str]:
    return [n for n, r in logins(state=state).items() if r == "candidate"]

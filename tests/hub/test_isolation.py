"""Isolation, tested by trying: a real candidate, logged in through the real hub, attacks from a kernel.

One hub for the module, two candidates (A and B), each delivered a variant by the interviewer side.
From A's kernel (code sent over the kernel's websocket, as JupyterLab sends it) every way to the
answer or to B is tried; each attempt must fail and is asserted on its own.
"""
from __future__ import annotations

import json
import os
import stat
import textwrap
from pathlib import Path

import pytest

from livescreen.hub import paths
from livescreen.hub.client import Session

from .conftest import add_candidates, hub_prerequisites, unique_id

pytestmark = [pytest.mark.skipif(hub_prerequisites() is not None, reason=str(hub_prerequisites())),
              pytest.mark.xdist_group("hub-isolation")]  # one hub for the module, on one worker

SC = "saas_churn"

ATTACKS = r'''
import glob, importlib, json, os, subprocess, sys
def attempt(fn):
    try:
        out = fn()
        return "ok: " + repr(out)[:120]
    except BaseException as exc:
        return "denied: " + type(exc).__name__
T = json.loads(TARGETS)
r = {}
r["list_other_home"] = attempt(lambda: os.listdir(T["other_home"]))
r["read_other_schema"] = attempt(lambda: open(T["other_home"] + "/saas_churn/schema.json").read())
r["write_other_home"] = attempt(lambda: open(T["other_home"] + "/planted.txt", "w").write("x"))
r["list_store"] = attempt(lambda: os.listdir(T["store"]))
r["read_own_truth"] = attempt(lambda: open(T["own_truth"]).read())
r["read_other_truth"] = attempt(lambda: open(T["other_truth"]).read())
r["read_gradebook"] = attempt(lambda: open(T["gradebook"], "rb").read())
r["list_hub_state"] = attempt(lambda: os.listdir(T["state"]))
for f in ("jupyterhub.sqlite", "jupyterhub_cookie_secret", "service-token", "proxy-token", "logins.json", "settings.json"):
    r["read_state_" + f] = attempt(lambda f=f: open(T["state"] + "/" + f, "rb").read())
r["read_rubric_in_repo"] = attempt(lambda: open(T["repo"] + "/grading/rubrics/autograded.yaml").read())
r["read_scenario_in_repo"] = attempt(lambda: open(T["repo"] + "/data_generators/scenarios/saas_churn.yaml").read())
r["list_repo"] = attempt(lambda: os.listdir(T["repo"]))
for pid in T["pids"]:
    r["environ_" + pid] = attempt(lambda pid=pid: open(f"/proc/{pid}/environ", "rb").read())
    r["cmdline_" + pid] = attempt(lambda pid=pid: open(f"/proc/{pid}/cmdline", "rb").read())
r["other_processes_listed"] = sorted(set(p for p in os.listdir("/proc") if p.isdigit()) & set(T["pids"]))
for mod in ("data_generators", "grading", "nbgrader", "livescreen.cli", "livescreen.hub"):
    r["import_" + mod] = attempt(lambda mod=mod: importlib.import_module(mod))
r["lab_enable_nbgrader"] = attempt(lambda: subprocess.run(
    [sys.prefix + "/bin/jupyter", "labextension", "enable", "--level=sys_prefix", "@jupyter/nbgrader"],
    capture_output=True, text=True, check=True).stdout)
r["write_page_config"] = attempt(lambda: open(T["page_config"], "a").write("{}"))
r["write_server_config"] = attempt(lambda: open(T["server_config"], "a").write("{}"))
r["env_livescreen"] = sorted(k for k in os.environ if k.startswith("LIVESCREEN") and k != "LIVESCREEN_SERVICE_URL")
r["uid"] = os.getuid()
print(json.dumps(r))
'''


@pytest.fixture(scope="module")
def world(hub_root):
    from livescreen.hub import exchange, users
    from livescreen.hub.server import start_hub
    root, _ = hub_root
    state = root / "state"
    (a, pa), (b, pb) = add_candidates(hub_root, "a", "b")
    for n, seed in ((a, 1), (b, 2)):
        # the grader's measured outcomes are not what these tests are about: left to a grading nobody runs
        exchange.deliver(n, scenario=SC, seed=seed, store=root / "store", measure=False)
    (root / "store" / "gradebook.db").write_bytes(b"SQLite format 3\x00")  # where the lasting gradebook lives
    os.chmod(root / "store" / "gradebook.db", 0o600)
    iv = unique_id("iv")  # an interviewer login (hub admin, group interviewers): no Unix user, no server
    iv_password = users.add_interviewer(iv, state=state)
    hub = start_hub(state=state, interviewers=[iv])
    sa, sb = Session(hub.url, a, pa), Session(hub.url, b, pb)
    for s in (sa, sb):
        assert s.login(), f"{s.name} could not log in with their own password"
        s.get_token()
        s.start_server()
    kernel = sa.kernel()
    yield {"hub": hub, "a": sa, "b": sb, "kernel": kernel, "root": root, "state": state,
           "interviewer": Session(hub.url, iv, iv_password)}
    kernel.close()
    hub.stop()


def _pids(user: str) -> list[str]:
    import pwd
    uid = pwd.getpwnam(user).pw_uid
    return [p for p in os.listdir("/proc") if p.isdigit() and os.stat(f"/proc/{p}").st_uid == uid]


@pytest.fixture(scope="module")
def attacks(world):
    """Every attempt, run once from candidate A's kernel; a dict of outcomes."""
    import pwd
    root, state = world["root"], world["state"]
    a, b = world["a"].name, world["b"].name
    env = paths.candidate_env()
    targets = {
        "other_home": pwd.getpwnam(b).pw_dir, "store": str(root / "store"),
        "own_truth": str(root / "store" / a / "truth.json"), "other_truth": str(root / "store" / b / "truth.json"),
        "gradebook": str(root / "store" / "gradebook.db"), "state": str(state), "repo": str(paths.REPO),
        "pids": [str(world["hub"].process.pid), *_pids(b)[:3]],
        "page_config": str(env / "etc/jupyter/labconfig/page_config.json"),
        "server_config": str(env / "etc/jupyter/jupyter_server_config.d/livescreen-no-nbgrader.json"),
    }
    assert len(targets["pids"]) >= 2, "B's server is running"
    code = f"TARGETS = {json.dumps(json.dumps(targets))}\n" + ATTACKS
    out = world["kernel"].execute(code, timeout=120)
    assert out["status"] == "ok", out
    return json.loads(out["stdout"].strip().splitlines()[-1]) | {"_targets": targets}


def _denied(attacks, key, why="PermissionError"):
    """The attempt failed for the reason isolation gives (not, say, a wrong path)."""
    assert attacks[key] == f"denied: {why}", f"{key}: {attacks[key]}"


def test_the_candidate_kernel_runs_as_the_candidate(world, attacks):
    """Is A's kernel running as A's own unprivileged Unix user?"""
    import pwd
    assert attacks["uid"] == pwd.getpwnam(world["a"].name).pw_uid != 0


@pytest.mark.parametrize("key", ["list_other_home", "read_other_schema", "write_other_home"])
def test_another_candidates_home_is_out_of_reach(attacks, key):
    """Can A list, read or write B's home? (home 0700)"""
    _denied(attacks, key)


@pytest.mark.parametrize("key", ["list_store", "read_own_truth", "read_other_truth", "read_gradebook"])
def test_the_truth_store_and_gradebook_are_out_of_reach(attacks, key):
    """Can A reach the grader-only store: its truth, B's truth, the gradebook? (store 0700)"""
    _denied(attacks, key)


@pytest.mark.parametrize("key", ["list_hub_state", "read_state_jupyterhub.sqlite", "read_state_jupyterhub_cookie_secret",
                                 "read_state_service-token", "read_state_proxy-token", "read_state_logins.json",
                                 "read_state_settings.json"])
def test_the_hubs_database_config_and_secrets_are_out_of_reach(attacks, key):
    """Can A read the hub's database, cookie secret, tokens, logins or settings? (state 0700)"""
    _denied(attacks, key)


@pytest.mark.parametrize("key", ["read_rubric_in_repo", "read_scenario_in_repo", "list_repo"])
def test_the_repository_is_closed(attacks, key):
    """Can A read the rubrics or scenarios from the repository by path? (the hub closes it)"""
    _denied(attacks, key)


def test_other_users_processes_are_invisible(attacks):
    """Can A read the hub's or B's process environment or command line, or even see them?"""
    for pid in attacks["_targets"]["pids"]:
        # hidepid: another user's process is not even there
        _denied(attacks, f"environ_{pid}", "FileNotFoundError")
        _denied(attacks, f"cmdline_{pid}", "FileNotFoundError")
    assert attacks["other_processes_listed"] == []


@pytest.mark.parametrize("mod", ["data_generators", "grading", "nbgrader", "livescreen.cli", "livescreen.hub"])
def test_the_engine_grader_and_nbgrader_cannot_be_imported(attacks, mod):
    """Can A import the engine, the grader, nbgrader or the kit beyond the toolkit?"""
    assert attacks[f"import_{mod}"] == "denied: ModuleNotFoundError"


def test_nbgrader_cannot_be_re_enabled(world, attacks):
    """Can A turn nbgrader's extensions back on, or edit the lock? Is there any nbgrader UI?"""
    _denied(attacks, "lab_enable_nbgrader", "CalledProcessError")
    _denied(attacks, "write_page_config")
    _denied(attacks, "write_server_config")
    page = json.loads(Path(attacks["_targets"]["page_config"]).read_text())
    assert page["lockedExtensions"]["@jupyter/nbgrader"] is True
    for t in ("page_config", "server_config"):
        st = os.stat(attacks["_targets"][t])
        assert st.st_uid == 0 and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    a = world["a"]
    status, body = a.request("GET", f"/user/{a.name}/lab/api/extensions")
    assert status == 200 and b"nbgrader" not in body
    status, _ = a.request("GET", f"/user/{a.name}/formgrader")
    assert status == 404


def test_no_answer_in_the_servers_environment(attacks):
    """Does anything LIVESCREEN_* (truth, store) reach the candidate's server?"""
    assert attacks["env_livescreen"] == []


def test_a_candidates_kernel_computes_on_one_thread(world):
    """Do the candidate's BLAS and OpenMP pools hold one thread (the hub sets it for every server), so twenty
    kernels share two cores instead of each spinning a thread per core?"""
    from livescreen.hub import paths as hub_paths
    out = world["kernel"].execute(
        "import json, os, numpy, sklearn, threadpoolctl\n"
        "print(json.dumps({'env': {k: os.environ.get(k) for k in %r},"
        " 'pools': sorted({p['num_threads'] for p in threadpoolctl.threadpool_info()})}))" % sorted(hub_paths.ONE_THREAD))
    assert out["status"] == "ok", out
    got = json.loads(out["stdout"].strip().splitlines()[-1])
    assert got["env"] == hub_paths.ONE_THREAD and got["pools"] == [1], got


def test_a_candidate_cannot_use_another_candidates_server_or_the_admin_api(world):
    """With A's own token: B's server, B's files and the hub's user list are refused."""
    a, b = world["a"], world["b"]
    status, _ = a.request("GET", f"/user/{b.name}/api/contents/{SC}")
    assert status in (403, 404, 302), status
    status, _ = a.request("GET", "/hub/api/users")
    assert status == 403
    status, _ = a.request("POST", f"/hub/api/users/{b.name}/tokens", {"note": "x"})
    assert status in (403, 404)
    assert not Session(world["hub"].url, b.name, "not-the-password").login()
    assert not Session(world["hub"].url, b.name, a.password).login(), "a password opens only its own account"


def test_a_login_link_opens_its_own_account_once(world):
    """A one-time link: another name, a changed code, an interviewer's link and a second use are refused."""
    from livescreen.hub import users
    url, state, a, b = world["hub"].url, world["state"], world["a"], world["b"]
    code = users.set_link(b.name, state=state)
    assert not Session(url, a.name, "").login_with_link(users.link_path(a.name, code)), "a link opens only its own account"
    assert not Session(url, b.name, "").login_with_link(users.link_path(b.name, code[:-2] + "xx"))
    first = Session(url, b.name, "")
    assert first.login_with_link(users.link_path(b.name, code)), "the candidate's own link did not log them in"
    assert first.get_token()  # the login cookie works: the hub gives them a token of their own
    assert not Session(url, b.name, "").login_with_link(users.link_path(b.name, code)), "a spent link opened again"
    iv = world["interviewer"].name
    assert not Session(url, iv, "").login_with_link(users.link_path(iv, users.set_link(iv, state=state))), \
        "an interviewer logs in with their password only"


def test_delivery_gives_the_candidate_their_folder_and_keeps_the_truth(world):
    """Is the delivered folder the candidate's own (0700), with no truth in it, the truth in the 0600 store?"""
    import pwd
    a = world["a"]
    home = Path(pwd.getpwnam(a.name).pw_dir)
    folder = home / SC
    st = os.stat(folder)
    assert st.st_uid == pwd.getpwnam(a.name).pw_uid and stat.S_IMODE(st.st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["offline.csv", "production.csv", "recomputed.csv", "schema.json", "team_report.json", f"{SC}.ipynb"])
    store = world["root"] / "store"
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(store / a.name / "truth.json").st_mode) == 0o600
    status, listing = a.contents(SC)
    assert status == 200 and {x["name"] for x in listing["content"]} >= {"schema.json", f"{SC}.ipynb"}


def test_collection_copies_into_the_store_without_following_links(world):
    """Does collect copy the candidate's folder into the grader-only store, never following a planted link?"""
    from livescreen.hub.exchange import collect
    import pwd
    a, b = world["a"], world["b"]
    k = world["kernel"]
    other = pwd.getpwnam(b.name).pw_dir
    out = k.execute(textwrap.dedent(f"""
        import os
        os.symlink("/etc/shadow", "{SC}/shadow")
        os.symlink("{other}/{SC}/schema.json", "{SC}/other_schema.json")
        os.symlink("/root", "{SC}/rootdir")
        open("{SC}/notes.txt", "w").write("my notes")
    """))
    assert out["status"] == "ok", out
    dest = collect(a.name, store=world["root"] / "store")
    names = sorted(p.name for p in dest.iterdir())
    assert "notes.txt" in names and "schema.json" in names
    assert not {"shadow", "other_schema.json", "rootdir"} & set(names)
    skipped = json.loads((dest.parent / "skipped.json").read_text())
    assert {"shadow", "other_schema.json", "rootdir"} <= set(skipped)
    assert stat.S_IMODE(os.stat(dest.parent).st_mode) == 0o700 and os.stat(dest).st_uid == os.geteuid()


FORGE = r'''
import json, os, urllib.request, urllib.error
from livescreen.toolkit import service
from livescreen.toolkit.card import empty_card
def card(family):
    c = empty_card()
    c["hypothesis"]["family"] = family
    c.update(evidence="seen", experiment={"type": "matured_labels_only"}, expected_if_true="a", expected_if_false="b",
             decision="d")
    return c
def post(body, token):
    req = urllib.request.Request(os.environ["LIVESCREEN_SERVICE_URL"] + "api/card", data=json.dumps(body).encode(),
                                 method="POST", headers={"Content-Type": "application/json",
                                                         **({"Authorization": "token " + token} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None
out = {"first": service.record_card(card("prior_shift"))}
out["second"] = service.record_card(card("target_leakage"))  # replace it?
out["forged_time"] = post({"card": card("covariate_shift"), "committed_at": "2020-01-01T00:00:00+00:00",
                           "first": True}, os.environ["JUPYTERHUB_API_TOKEN"])
out["no_token"] = post({"card": card("covariate_shift")}, None)
out["made_up_token"] = post({"card": card("covariate_shift")}, "0" * 32)
print(json.dumps(out))
'''


def test_the_first_card_cannot_be_forged_or_replaced(world):
    """Can A replace the first card the session service recorded, back-date it, or post as nobody?"""
    try:
        from livescreen.sessions import session
    except ImportError:
        pytest.skip("the session service (livescreen/sessions/, issue #9) is not in this tree")
    a = world["a"]
    home = world["root"] / "store" / "sessions"
    row = session.new_session(scenario=SC, candidate="ats-1234", hub_user=a.name, home=home,
                              out=world["root"] / "sessions-out" / "interview", n_offline=2000, n_production=2000,
                              measure=False)  # never scored here
    out = world["kernel"].execute(FORGE, timeout=60)
    assert out["status"] == "ok", out
    got = json.loads(out["stdout"].strip().splitlines()[-1])
    # the service answers every commit with when the FIRST card was committed; it never moves
    assert got["first"] is not None, (got, world["hub"].log.read_text()[-2000:])
    first_at = got["first"]["first_committed_at"]
    assert got["second"]["first"] is False and got["second"]["first_committed_at"] == first_at
    status, answer = got["forged_time"]
    assert status in (200, 201) and answer["first"] is False and answer["first_committed_at"] == first_at
    assert answer["committed_at"] != "2020-01-01T00:00:00+00:00"  # the service's clock, not the candidate's
    assert got["no_token"][0] in (401, 403) and got["made_up_token"][0] in (401, 403)
    rec = session.get(row["id"], home=home)
    assert rec["card"]["hypothesis"]["family"] == "prior_shift"
    # and the service's store is the interviewer's: A cannot reach it (checked as the store above)
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700


CONSOLE = "/services/livescreen/"


def _open(s: Session, path: str, *, token: bool = False):
    """GET ``path`` as a browser would (cookies, redirects followed): ``(status, final URL, body)``."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request(s.url + path, headers={"Authorization": f"token {s.token}"} if token else {})
    try:
        with s.opener.open(req, timeout=60) as r:
            return r.status, r.geturl(), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.geturl(), e.read()


def _login(s: Session):
    """Log in through the hub's login form as a browser would: ``(status, final URL, body)`` where it lands."""
    import re
    import urllib.error
    import urllib.parse
    import urllib.request
    _, _, page = _open(s, "/hub/login")
    xsrf = re.search(rb'name="_xsrf" value="([^"]+)"', page).group(1).decode()
    form = urllib.parse.urlencode({"username": s.name, "password": s.password, "_xsrf": xsrf}).encode()
    req = urllib.request.Request(s.url + "/hub/login", data=form, method="POST")
    try:
        with s.opener.open(req, timeout=60) as r:
            return r.status, r.geturl(), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.geturl(), e.read()


def _plant_cookie(s: Session, name: str, value: str) -> None:
    """Put a cookie for the console's path in ``s``'s jar (as an old browser session would have)."""
    import http.cookiejar
    s.jar.set_cookie(http.cookiejar.Cookie(
        0, name, value, None, False, "127.0.0.1", False, False, CONSOLE, True, False, None, False, None, None, {}))


def test_only_interviewers_open_the_console_and_candidates_post_only_to_their_own_session(world, hub_root):
    """On the real hub: does an interviewer who logs in with their password reach the console through the
    hub's OAuth and see the sessions, while a logged-in candidate is refused the console and the interviewer
    API, and can a candidate's own hub token record events and a card into their own session only?"""
    try:
        from livescreen.sessions import session
        from livescreen.toolkit.card import empty_card
    except ImportError:
        pytest.skip("the session service (livescreen/sessions/, issue #9) is not in this tree")
    from livescreen.hub import users
    hub, a = world["hub"], world["a"]
    home = world["root"] / "store" / "sessions"  # the hub-managed service's store (start_hub)
    _, made = hub_root
    c_name, c_password = users.add_candidate(unique_id("c"), state=world["state"])  # a candidate of their own,
    made.append(c_name)  # so this test shares no session with the others in the module
    c = Session(hub.url, c_name, c_password)
    assert c.login()
    c.get_token()
    # no open session yet: the candidate's token records nothing
    status, _ = c.request("POST", CONSOLE + "api/events", {"kind": "cell", "label": "too-early"})
    assert status == 403, status
    row = session.new_session(scenario=SC, candidate=c_name, hub=True, interviewers=[world["interviewer"].name],
                              home=home, measure=False)  # never scored here
    assert row["hub_user"] == c_name
    other = session.new_session(scenario=SC, candidate="ats-other", out=world["root"] / "other-out", home=home,
                                n_offline=500, n_production=500, measure=False)

    # the candidate's own hub token, through the hub's proxy: events and the card land in their session only
    status, body = c.request("POST", CONSOLE + "api/events", {"kind": "cell", "label": "c-cell-1", "error": False})
    assert status == 201, (status, body)
    card = empty_card()
    card["hypothesis"]["family"] = "covariate_shift"
    card.update(evidence="seen", experiment={"type": "matured_labels_only"}, expected_if_true="a",
                expected_if_false="b", decision="d")
    status, body = c.request("POST", CONSOLE + "api/card", {"card": card})
    assert status == 201 and json.loads(body)["first"] is True, (status, body)
    mine = session.timeline(row["id"], home=home)
    assert [e["data"].get("label") for e in mine if e["kind"] == "cell"] == ["c-cell-1"]
    assert session.get(row["id"], home=home)["card"]["hypothesis"]["family"] == "covariate_shift"
    assert session.timeline(other["id"], home=home) == []
    # and the candidate cannot read or act on any session through the interviewer API
    for method, path, body in (("GET", "api/sessions", None), ("GET", f"api/sessions/{row['id']}", None),
                               ("GET", f"api/sessions/{other['id']}/scorecard.json", None),
                               ("POST", f"api/sessions/{other['id']}/note", {"text": "x"}),
                               ("POST", f"api/sessions/{row['id']}/close", {})):
        status, _ = c.request(method, CONSOLE + path, body)
        assert status == 403, (method, path, status)

    # the interviewer logs in to the hub with their password and opens the console through the hub's OAuth
    # (they have no server of their own: the hub lands them on the console, not on a failing spawn)
    iv = world["interviewer"]
    _plant_cookie(iv, "service-livescreen", "expired-or-forged")  # a stale console cookie sends them to log in
    status, url, page = _login(iv)
    assert status == 200 and url == hub.url + CONSOLE and b"livescreen console" in page, (status, url, page[:300])
    status, url, page = _open(iv, CONSOLE)
    assert status == 200 and url == hub.url + CONSOLE and b"livescreen console" in page, (status, url, page[:300])
    status, _, body = _open(iv, CONSOLE + "api/sessions")  # the list the page shows, with the OAuth cookie only
    assert status == 200, (status, body[:300])
    assert {row["id"], other["id"]} <= {s["id"] for s in json.loads(body)}
    status, _, page = _open(iv, CONSOLE + f"sessions/{row['id']}")
    assert status == 200 and row["id"].encode() in page

    # candidates logged in to the hub are refused the console page and, with the same cookies, its API
    for cand in (c, a):
        status, url, page = _open(cand, CONSOLE)  # the hub refuses them the service's OAuth (no access scope)
        assert status == 403 and b"livescreen console" not in page, (cand.name, status, url)
        status, _, body = _open(cand, CONSOLE + "api/sessions")
        assert status == 403 and row["id"].encode() not in body, (cand.name, status)

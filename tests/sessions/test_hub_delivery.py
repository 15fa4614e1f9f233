"""A session on the hub: delivered into the candidate's home by the hub's exchange, collected back by it."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from data_generators import load_scenario

from livescreen.sessions import session as S

from .conftest import ROWS, card_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="delivery into a candidate's home needs root "
                                                          "(a real Unix user; CI runs as root)")


@pytest.fixture
def candidate(tmp_path, monkeypatch):
    from livescreen.hub.users import add_candidate, remove_candidate
    root = tmp_path / "hub"
    root.mkdir(mode=0o755)
    monkeypatch.setenv("LIVESCREEN_HUB_ROOT", str(root))
    cid = "s9" + uuid.uuid4().hex[:6]
    name, _ = add_candidate(cid, state=root / "state")
    yield cid, name
    remove_candidate(cid, state=root / "state")


def test_session_new_delivers_into_the_hub_home_and_collect_and_purge_use_the_hubs_copies(home, candidate):
    """Does `session new --hub` put the folder in the candidate's home (theirs, no truth), keep the truth in
    the store, collect with the service's first card, and purge the home folder and the hub's copies?"""
    import pwd
    from livescreen.hub import paths
    cid, name = candidate
    # ROWS and the shared seeds (conftest): close scores the variant tests/grading measured once for the run
    made = S.new_session(scenario="saas_churn", candidate=cid, hub=True, home=home, **ROWS)
    folder = Path(made["folder"])
    assert folder == Path(pwd.getpwnam(name).pw_dir) / "saas_churn"
    assert os.stat(folder).st_uid == pwd.getpwnam(name).pw_uid and made["token"] is None
    row = S.get(made["id"], home=home)
    assert row["hub_user"] == name and row["truth"]["family"] in load_scenario("saas_churn").pool
    blob = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    # the secret seed's absence from a folder is checked on a real draw by test_session.py (the same
    # candidate_folder builds this one); here: no truth file, no seed field
    assert b'"seed"' not in blob and not list(folder.rglob("truth*"))
    assert row["truth"]["outcomes"]["candidate_rows"] == [ROWS["n_offline"], ROWS["n_production"]]  # sizes reach the hub
    assert S.session_for_hub_user(name, home=home) == made["id"]
    brief = json.loads((folder / "schema.json").read_text())["brief"]
    S.record_card(made["id"], card_for(row["truth"], brief), home=home)
    sub = S.collect(made["id"], home=home)
    assert json.loads((sub / "first_experiment.json").read_text())["card"] == S.get(made["id"], home=home)["card"]
    S.close(made["id"], home=home)
    assert S.purge(older_than_days=0, home=home)["purged"] == [made["id"]]
    assert not folder.exists() and not (paths.store_dir() / name).exists()

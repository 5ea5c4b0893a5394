"""The promoter killed (SIGKILL, a real subprocess) between ``issue_create`` and the write-back.

The next run loses nothing: every finding ends linked to an existing issue carrying its
finding id. In idempotent mode nothing is filed twice (the derived id makes the retry an
"already exists" that is verified and linked). In reference mode the kill leaves exactly one
predicted duplicate, which the reconciler then marks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fakelinear.clock import RealClock
from fakelinear.handler import FakeLinear
from fakelinear.transports.server import ServerThread
from promoter.findings import Finding, finding_id, parse_finding_id
from promoter.linear.client import LinearClient
from promoter.reconciler import Reconciler
from promoter.store.sqlite import SQLiteFindingStore

ROOT = Path(__file__).resolve().parents[2]
FINDINGS = 3
CLAIM_TTL = 60.0  # long: only the shifted clock of the next run lets the claim expire


def _driver(
    url: str, token: str, store: str, team: str, mode: str, kill: int | None = None, later: float = 0.0
) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "tests.reliability.promoter_driver", "--url", url, "--store", store,
            "--team", team, "--cls", "lint", "--mode", mode, "--claim-ttl", str(CLAIM_TTL),
            "--later", str(later)]
    if kill is not None:
        args += ["--kill-after-create", str(kill)]
    env = {**os.environ, "LINEAR_API_KEY": token, "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)  # noqa: S603


@pytest.mark.parametrize("mode", ["idempotent", "reference"])
def test_kill_between_create_and_write_back_loses_nothing(tmp_path: Path, mode: str) -> None:
    fake = FakeLinear(seed=17, clock=RealClock(), workspaces=1, plan="unlimited", profile="calm")
    token = fake.tokens[0]
    ws = fake.workspace_for(token)
    team_id = ws.team("ENG").id
    db = tmp_path / "findings.db"
    store = SQLiteFindingStore(str(db))
    findings = [Finding("lint", f"ref{n}", "unused-import", f"[test] finding {n}", "detail") for n in range(FINDINGS)]
    store.observe("lint", findings)
    store.close()
    fids = {finding_id(f.cls, f.ref_id, f.kind) for f in findings}

    with ServerThread(fake, "127.0.0.1", 0) as server:
        url = server.base_url + "/graphql"
        killed = _driver(url, token, f"sqlite:///{db}", team_id, mode, kill=1)
        assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr[-1500:])
        issues = [i for i in ws.store["Issue"].values() if parse_finding_id(i.description or "")]
        assert len(issues) == 1  # the create happened ...
        store = SQLiteFindingStore(str(db))
        assert all(store.get(fid).issue_id is None for fid in fids)  # ... the write-back did not
        store.close()

        # The next run comes after the dead run's claim expired (its store clock is shifted).
        second = _driver(url, token, f"sqlite:///{db}", team_id, mode, later=CLAIM_TTL + 1)
        assert second.returncode == 0, second.stderr[-1500:]

        store = SQLiteFindingStore(str(db))
        carrying: dict[str, list[str]] = {}
        for issue in ws.store["Issue"].values():
            fid = parse_finding_id(issue.description or "")
            if fid and not issue.trashed:
                carrying.setdefault(fid, []).append(issue.id)
        for fid in fids:  # I1 + I4: nothing lost, every link real and carrying its finding id
            linked = store.get(fid).issue_id
            assert linked is not None, f"finding {fid[:12]} lost"
            assert linked in carrying.get(fid, []), "linked issue does not carry the finding id"
        if mode == "idempotent":
            assert all(len(ids) == 1 for ids in carrying.values()), carrying  # I3: filed once
            assert sum(len(v) for v in carrying.values()) == FINDINGS
            assert '"recovered": 1' in second.stdout, second.stdout
        else:
            dupes = {fid: ids for fid, ids in carrying.items() if len(ids) > 1}
            assert len(dupes) == 1 and len(next(iter(dupes.values()))) == 2, carrying  # one predicted duplicate
            client = LinearClient(token, url=url)
            try:
                report = Reconciler(store, client, team_id).run()
            finally:
                client.close()
            assert report.duplicates_marked == 1, report
            assert not report.errors, report.errors
            relations = [r for r in ws.store["IssueRelation"].values() if r.type == "duplicate"]
            assert len(relations) == 1
        store.close()

"""The world's view of the fake: which issue carries which finding (issue 13 item 1).

The checker learns an issue's finding from :meth:`World.issues` and attributes creates through
the recording client; both must trust only the promoter's trailer, never a marker-like line
in a finding's text.
"""

from __future__ import annotations

from promoter.findings import Finding, finding_marker, issue_body
from scenarios.world import World, WorldConfig

A = Finding("lint", "a", "k", "[test] a", "detail")
B = Finding("lint", "b", "k", "[test] b", "detail")


def test_issues_are_attributed_by_the_trailer_only() -> None:
    forged = Finding("lint", "a", "k", "[test] a", f"pasted:\n{finding_marker(B.finding_id)}")
    with World(WorldConfig(seed=3, name="world-trailer")) as world:
        client = world.replicas[0].client
        # Through the recording client, as the promoter would file it.
        mine = client.issue_create(world.team_id, "[test] a", issue_body(forged))
        # A hand-made body whose only marker line is not the last line: carries nothing.
        client.issue_create(world.team_id, "[test] x", f"{finding_marker(B.finding_id)}\nnotes below")
        facts = {f.id: f.finding_id for f in world.issues()}
        assert facts == {mine.id: A.finding_id}
        (create, other) = [c for c in world.history.calls if c.op == "create"]
        assert create.finding_id == A.finding_id and other.finding_id is None
        world.final_state(cleanup=True)

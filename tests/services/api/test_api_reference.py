"""docs/api-reference.md is generated from the code: regenerating it must give the
committed file, and its cindersim columns must follow the router."""

from __future__ import annotations

from pathlib import Path

from cindersim.services.api import reference
from cindersim.services.api.cinder_routes import ACTIONS, MICROVERSIONS, ROUTES
from cindersim.services.api.router import Router, route
from cindersim.services.api.wsgi import ApiResponse

DOC = Path(__file__).resolve().parents[3] / "docs" / "api-reference.md"


def test_committed_reference_is_current() -> None:
    text = reference.render(reference.build())
    assert DOC.read_text(encoding="utf-8") == text, (
        "docs/api-reference.md is stale: run "
        "`python -m cindersim.services.api.reference > docs/api-reference.md`")


def test_data_covers_cinder_and_every_microversion() -> None:
    assert len({(m, p) for m, p, _, _ in ROUTES}) == len(ROUTES)
    assert len({(r, n) for r, n, _, _ in ACTIONS}) == len(ACTIONS)
    assert [v for v, _ in MICROVERSIONS] == [f"3.{n}" for n in range(72)]


def test_columns_follow_the_router() -> None:
    report = reference.build()
    rows = {(m, p): served for m, p, _, served, _ in report.routes}
    assert rows[("PUT", "/default-types/{id}")] == "yes"
    assert rows[("GET", "/clusters/{id}")] == "yes"
    assert rows[("POST", "/workers/cleanup")] == "yes"
    assert rows[("POST", "/backups/import_record")] == "yes"
    assert rows[("GET", "/os-quota-class-sets/{id}")] == "yes"
    actions = {(r, n): done for r, n, _, done, _ in report.actions}
    assert actions[("/volumes/{id}/action", "os-extend")] == "yes"
    assert actions[("/snapshots/{id}/action", "os-update_snapshot_status")] == "yes"
    assert actions[("/types/{id}/action", "addProjectAccess")] == "yes"
    assert report.extra_routes == []
    assert reference.counts(report)["routes"] == (report.routes_done, len(ROUTES))


def test_a_router_without_a_route_reports_it_missing() -> None:
    @route("GET", "/volumes/{volume_id}", min_version="3.5")
    async def show(api: object, req: object, volume_id: str) -> ApiResponse:
        return ApiResponse(200, None)

    router = Router()
    router.add(show.__cindersim_routes__[0])  # type: ignore[attr-defined]
    report = reference.build(router)
    rows = {(m, p): served for m, p, _, served, _ in report.routes}
    assert rows[("GET", "/volumes/{id}")] == "yes (from 3.5)"
    assert rows[("GET", "/volumes/detail")] == "no"
    assert report.routes_done == 1
    assert report.actions_done == 0
    assert router.route_for("GET", "/volumes/{whatever}") is not None
    assert router.route_for("GET", "/volumes/detail") is None

"""The studio in a real headless Chromium (Debian's ``chromium`` package).

CI needs ``apt-get install -y chromium`` and the ``playwright`` Python package (the
``test`` extra); Playwright's own browser download is not used: the tests launch
``/usr/bin/chromium``.  They skip, saying why, only when that binary is absent.

Checked: the page opens from a file with the network blocked, stepping moves the
highlighted event and the state panels (the volume row is ``creating`` until the
documents' step B6 and ``available`` after it; the LV appears at B5, the
``lvcreate``), the language switch, no console errors; the live view at
``/_sim/`` shows a volume created over HTTP.  Screenshots go to
``$CINDERSIM_SCREENSHOTS`` when set (a directory), for people to look at.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium: install Debian's chromium package "
                "(apt-get install -y chromium) to run the browser tests",
                allow_module_level=True)
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package (the test extra) is missing")

from cindersim.render.studio import studio_html, studio_model  # noqa: E402
from cindersim.scenario import load_scenario, run_scenario  # noqa: E402
from cindersim.serve import ServeOptions, ThreadedServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHOTS = os.environ.get("CINDERSIM_SCREENSHOTS")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


@pytest.fixture(scope="module")
def browser(demo_file: Path, backend_files: dict[str, Path]) -> Iterator[Any]:
    # The page is built first: Playwright's sync API keeps an asyncio loop running in
    # this thread, and a simulation cannot run its own loop inside it.
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1500, "height": 950})
    pg = ctx.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    res = run_scenario(load_scenario(ROOT / "scenarios" / "demo.toml"))
    path = tmp_path_factory.mktemp("studio") / "demo.html"
    path.write_text(studio_html(studio_model(res.trace.events, title="demo")), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def backend_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The studio pages of the RBD, NFS and FC attach scenarios."""
    out: dict[str, Path] = {}
    for kind in ("rbd", "nfs", "fc"):
        res = run_scenario(load_scenario(ROOT / "scenarios" / f"attach-{kind}.toml"))
        path = tmp_path_factory.mktemp("studio") / f"attach-{kind}.html"
        path.write_text(studio_html(studio_model(res.trace.events, title=kind)),
                        encoding="utf-8")
        out[kind] = path
    return out


def state(page: Any) -> dict[str, Any]:
    value: dict[str, Any] = page.evaluate("window.cindersimStudio.state()")
    return value


def volume_status(page: Any, label: str) -> str | None:
    cell = page.locator(f"#records tr:has(td:text-matches('^{label} ')) td.st").first
    return cell.text_content() if cell.count() else None


def card_tag(page: Any) -> str | None:
    tag = page.locator("#card .tag")
    return tag.text_content() if tag.count() else None


class TestOffline:
    def test_opens_from_a_file_with_no_network(self, page: Any, demo_file: Path) -> None:
        asked: list[str] = []

        def block(route: Any) -> None:
            if not route.request.url.startswith("file:"):
                asked.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        page.route("**/*", block)
        page.goto(demo_file.as_uri())
        assert page.locator("#diagram .row").count() > 5
        assert asked == []
        assert page.errors == []
        shot(page, "studio-create-start")

    def test_stepping_moves_the_highlight_and_the_state(self, page: Any,
                                                        demo_file: Path) -> None:
        page.goto(demo_file.as_uri())
        assert card_tag(page) == "B1"
        first = page.locator("#diagram .row.cur").first.get_attribute("data-seq")
        assert volume_status(page, "v1") == "creating"
        seen: list[tuple[str | None, str | None, bool]] = []
        while card_tag(page) != "B6":
            page.click("#next")
            has_lv = page.locator("#state tr[data-lv^='volume-']").count() > 0
            seen.append((card_tag(page), volume_status(page, "v1"), has_lv))
        assert page.locator("#diagram .row.cur").first.get_attribute("data-seq") != first
        tags = [t for t, _, _ in seen]
        assert tags[-3:] == ["B4", "B5", "B6"]
        by_tag = {t: (st, lv) for t, st, lv in seen}
        assert by_tag["B4"] == ("creating", False)  # no LV before lvcreate
        assert by_tag["B5"] == ("creating", True)  # lvcreate: the LV is there
        assert by_tag["B6"] == ("available", True)  # cinder-volume wrote the outcome
        assert page.locator("#records tr.changed").count() >= 1
        shot(page, "studio-create-b6")
        assert page.errors == []

    def test_all_events_mode_steps_one_event_at_a_time(self, page: Any,
                                                       demo_file: Path) -> None:
        page.goto(demo_file.as_uri())
        docs = state(page)["count"]
        page.check("#mode-all")
        assert state(page)["count"] > docs
        seqs = []
        for _ in range(4):
            seqs.append(state(page)["seq"])
            page.click("#next")
        assert seqs == sorted(seqs)
        assert len(set(seqs)) == 4
        assert page.errors == []

    def test_the_language_switch(self, page: Any, demo_file: Path) -> None:
        page.goto(demo_file.as_uri())
        meaning_en = page.locator("#card .meaning").text_content()
        page.click("#lang-vi")
        assert page.locator("#prev").text_content() == "◀ Trước"
        meaning_vi = page.locator("#card .meaning").text_content()
        assert meaning_vi != meaning_en
        assert "Client yêu cầu tạo volume" in (meaning_vi or "")
        assert page.evaluate("document.documentElement.lang") == "vi"
        page.click("#flows button[data-flow='2']")  # the attach flow
        for _ in range(4):
            page.click("#next")
        shot(page, "studio-attach-vi")
        page.click("#lang-en")
        assert page.locator("#prev").text_content() == "◀ Previous"
        assert page.errors == []

    def test_the_backup_flow_shows_targets_and_the_bus(self, page: Any,
                                                       demo_file: Path) -> None:
        page.goto(demo_file.as_uri())
        page.click("#flows button[data-flow='5']")  # backup
        page.check("#mode-all")
        found_target = found_flight = False
        for _ in range(60):
            found_target = found_target or page.locator("#targets tr").count() > 1
            found_flight = found_flight or page.locator("#bus tr").count() > 1
            if found_target and found_flight:
                break
            page.click("#next")
        assert found_target
        assert found_flight
        shot(page, "studio-backup-all-events")
        assert page.errors == []


class TestOtherBackends:
    @pytest.mark.parametrize(("kind", "store", "store_vi", "item"), [
        ("rbd", "Ceph cluster (RBD)", "Cụm Ceph (RBD)", "RBD image"),
        ("nfs", "NFS shares", "Các NFS share", "file on the share"),
        ("fc", "FC array", "Mảng lưu trữ FC", "LUN"),
    ])
    def test_the_backend_panel_says_what_the_backend_is(
            self, page: Any, backend_files: dict[str, Path], kind: str, store: str,
            store_vi: str, item: str) -> None:
        page.goto(backend_files[kind].as_uri())
        page.check("#mode-all")
        for _ in range(40):  # into the flows, past the first create
            page.click("#next")
        panel = page.locator("body").inner_text()
        assert "Storage backends" in panel
        assert store in panel
        assert item in panel
        for stale in ("LVM volume group", "iSCSI targets", "? @"):
            assert stale not in panel
        shot(page, f"studio-{kind}-backend")
        page.click("#lang-vi")
        assert store_vi in page.locator("body").inner_text()
        assert page.errors == []


class TestLive:
    def test_the_live_view_shows_a_volume_created_over_http(self, page: Any) -> None:
        with ThreadedServer(ServeOptions(port=0, speed=100.0)) as srv:
            page.goto(f"{srv.base_url}/_sim/")
            page.wait_for_function("window.cindersimStudio !== undefined")
            project = srv.cloud.project_id("demo")
            req = urllib.request.Request(
                f"{srv.base_url}/v3/{project}/volumes", method="POST",
                data=json.dumps({"volume": {"size": 1, "name": "live"}}).encode(),
                headers={"X-Auth-Token": f"demo:{project}", "Content-Type": "application/json"})
            with urllib.request.urlopen(req) as resp:
                assert resp.status == 202
            page.wait_for_function(
                "Array.from(document.querySelectorAll('#records td.st'))"
                ".some(td => td.textContent === 'available')", timeout=20000)
            assert "live" in (page.locator("#live").text_content() or "")
            assert page.locator("#flows button").count() >= 1
            shot(page, "studio-live")
            assert page.errors == []

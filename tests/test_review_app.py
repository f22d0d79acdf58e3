"""The review app without a browser: Starlette's TestClient over a hand-made episode folder."""

from __future__ import annotations

import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from test_review_fixtures import EVIL, SLUG, build_episode  # noqa: E402

from podpipe.catalog import Status  # noqa: E402
from podpipe.config import Settings  # noqa: E402
from podpipe.exports.layout import publish  # noqa: E402
from podpipe.review import ReviewConfigError, check_bind, create_app, serve  # noqa: E402
from podpipe.review.app import CSRF_COOKIE  # noqa: E402


class _Form(HTMLParser):
    """The fields of the form with id=notes-form as a browser would submit them (first button excluded)."""

    def __init__(self, form_id: str = "notes-form") -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self._select, self._select_value = a["name"], None
        elif tag == "option" and self._select:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            self.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "form":
            self.inside = False


def form_of(html: str) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields


def edit(fields: dict[str, list[str]], **changes: str) -> dict[str, list[str]]:
    new = {k: list(v) for k, v in fields.items()}
    for key, value in changes.items():
        new[key.replace("__", "-")] = [value]
    return new


@pytest.fixture()
def episode(tmp_path: Path):
    output_root, catalog, episode_id = build_episode(tmp_path)
    app = create_app(output_root, settings=Settings(), catalog=catalog)
    with TestClient(app) as client:
        yield client, output_root / SLUG, catalog, episode_id


def page(client: TestClient) -> str:
    response = client.get(f"/episodes/{SLUG}")
    assert response.status_code == 200, response.text
    return response.text


def test_episode_list_shows_status_reason_and_links(episode) -> None:
    client, _, _, _ = episode
    html = client.get("/").text
    assert f'href="/episodes/{SLUG}"' in html
    assert "draft ready" in html and "ffprobe: invalid data found" in html
    assert "00:40" in html


def test_script_in_transcript_and_names_is_text(episode) -> None:
    client, _, _, _ = episode
    response = client.get(f"/episodes/{SLUG}")
    assert EVIL not in response.text
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_save_renames_edits_rejects_and_versions(episode) -> None:
    client, out_dir, _, _ = episode
    fields = edit(form_of(page(client)), **{
        "speaker__SPEAKER_01__name": "Sofie Willox", "speaker__SPEAKER_01__organisation": "So We Grow",
        "speaker__SPEAKER_00__name": "Jan Host", "s0__heading": "Groei begint bij mensen", "s1__q0": "reject"})
    response = client.post(f"/episodes/{SLUG}/save", data=fields, follow_redirects=False)
    assert response.status_code == 303, response.text
    versions = sorted((out_dir / "versions").glob("0001-*.json"))
    assert len(versions) == 1
    saved = json.loads(versions[0].read_text())
    assert saved["notes"]["sections"][0]["heading"] == "Groei begint bij mensen"
    assert saved["notes"]["sections"][1]["quotes"] == []
    assert "Sofie Willox" in (out_dir / "transcript.txt").read_text()
    assert "Sofie Willox" in (out_dir / "transcript.vtt").read_text()
    assert "Sofie Willox" in (out_dir / "transcript.srt").read_text()
    transcript = json.loads((out_dir / "transcript.json").read_text())
    assert {"id": "SPEAKER_01", "name": "Sofie Willox", "organisation": "So We Grow", "role": None} in transcript["speakers"]
    draft = (out_dir / "shownotes.draft.md").read_text()
    assert "Groei begint bij mensen" in draft and "Sofie Willox" in draft
    assert "Je moet eerst luisteren" not in draft
    confirmed = json.loads((out_dir.parent / "confirmed_hosts.json").read_text())
    assert confirmed["hosts"][0]["name"] == "Jan Host" and confirmed["hosts"][0]["spans"]
    assert json.loads((out_dir / "speakers.confirmed.json").read_text())["speakers"][0]["name"] == "Jan Host"
    html = page(client)
    assert 'value="Sofie Willox"' in html and "version 1" in html


def test_swap_quote_and_reorder_sections(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    fields = edit(fields, s0__q0="swap:1")
    fields["section"] = ["1", "0"]
    assert client.post(f"/episodes/{SLUG}/save", data=fields, follow_redirects=False).status_code == 303
    saved = json.loads(next((out_dir / "versions").glob("0001-*.json")).read_text())
    assert [s["heading"] for s in saved["notes"]["sections"]] == ["Veranderen", "Mensen eerst"]
    assert saved["notes"]["sections"][1]["quotes"][0]["text"] == "Wat bedoel je daarmee?"


def test_swap_with_a_quote_of_another_theme_is_ignored(episode) -> None:
    client, out_dir, _, _ = episode
    fields = edit(form_of(page(client)), s0__q0="swap:3")
    assert client.post(f"/episodes/{SLUG}/save", data=fields, follow_redirects=False).status_code == 303
    saved = json.loads(next((out_dir / "versions").glob("0001-*.json")).read_text())
    assert saved["notes"]["sections"][0]["quotes"][0]["text"].startswith("Bij ons begint groei")


def test_post_without_or_with_wrong_form_token_is_refused(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    assert client.post(f"/episodes/{SLUG}/save", data=edit(fields, csrf="forged")).status_code == 403
    del fields["csrf"]
    assert client.post(f"/episodes/{SLUG}/save", data=fields).status_code == 403
    assert client.post(f"/episodes/{SLUG}/approve", data={}).status_code == 403
    assert not (out_dir / "versions").exists() or not list((out_dir / "versions").glob("*.json"))


def test_csrf_cookie_from_another_session_does_not_help(episode, tmp_path: Path) -> None:
    client, _, _, _ = episode
    fields = form_of(page(client))
    client.cookies.clear()
    client.cookies.set(CSRF_COOKIE, "another-session-token")
    assert client.post(f"/episodes/{SLUG}/save", data=fields).status_code == 403


def test_stale_save_gets_409_with_both_versions_and_keeps_the_loser(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    first = edit(fields, s0__heading="Heading of editor A")
    second = edit(fields, s0__heading="Heading of editor B")
    assert client.post(f"/episodes/{SLUG}/save", data=first, follow_redirects=False).status_code == 303
    response = client.post(f"/episodes/{SLUG}/save", data=second, follow_redirects=False)
    assert response.status_code == 409
    assert "Heading of editor A" in response.text and "Heading of editor B" in response.text
    kept = list((out_dir / "versions" / "conflicts").glob("*.json"))
    assert len(kept) == 1 and "Heading of editor B" in kept[0].read_text()
    # The loser can make theirs current explicitly, as a new version on top of A's.
    restore = {"csrf": client.cookies[CSRF_COOKIE], "version": "1", "name": kept[0].name}
    assert client.post(f"/episodes/{SLUG}/restore", data=restore, follow_redirects=False).status_code == 303
    assert "Heading of editor B" in (out_dir / "shownotes.draft.md").read_text()
    assert len(list((out_dir / "versions").glob("*.json"))) == 2


def test_versions_can_be_viewed_and_restored(episode) -> None:
    client, out_dir, _, _ = episode
    fields = form_of(page(client))
    client.post(f"/episodes/{SLUG}/save", data=edit(fields, title="Eerste titel"))
    fields = form_of(page(client))
    client.post(f"/episodes/{SLUG}/save", data=edit(fields, title="Tweede titel"))
    first = sorted((out_dir / "versions").glob("0001-*.json"))[0].name
    view = client.get(f"/episodes/{SLUG}/versions/{first}")
    assert view.status_code == 200 and "Eerste titel" in view.text
    data = {"csrf": client.cookies[CSRF_COOKIE], "version": "2", "name": first}
    assert client.post(f"/episodes/{SLUG}/restore", data=data, follow_redirects=False).status_code == 303
    assert "Eerste titel" in (out_dir / "shownotes.draft.md").read_text()
    assert len(list((out_dir / "versions").glob("*.json"))) == 3


def test_approve_writes_protected_finals_and_marks_the_catalogue(episode) -> None:
    client, out_dir, catalog, episode_id = episode
    fields = edit(form_of(page(client)), speaker__SPEAKER_01__name="Sofie Willox", action="approve")
    response = client.post(f"/episodes/{SLUG}/save", data=fields, follow_redirects=False)
    assert response.status_code == 303
    for name in ("shownotes.final.md", "shownotes.final.html", "transcript.final.json", "transcript.final.vtt",
                 "transcript.final.srt", "transcript.final.txt"):
        assert (out_dir / name).is_file(), name
    assert "Sofie Willox" in (out_dir / "shownotes.final.md").read_text()
    assert "Sofie Willox" in (out_dir / "transcript.final.txt").read_text()
    row = catalog.get(episode_id)
    assert row.status == Status.APPROVED and "Sofie Willox" in row.speakers
    manifest = json.loads((out_dir / ".podpipe-manifest.json").read_text())
    assert {"shownotes.final.md", "shownotes.json", "transcript.json"} <= set(manifest["protected"])
    # The pipeline reprocesses the episode: its new files go beside the editors', never over them.
    before = (out_dir / "shownotes.final.md").read_text()
    assert publish(out_dir, "shownotes.final.md", "pipeline").name == "shownotes.final.v2.md"
    assert publish(out_dir, "shownotes.json", "{}").name == "shownotes.v2.json"
    assert (out_dir / "shownotes.final.md").read_text() == before
    assert list((out_dir / "versions").glob("0001-*.json"))


def test_audio_is_served_with_ranges_and_png_shown(episode) -> None:
    client, _, _, _ = episode
    response = client.get(f"/episodes/{SLUG}/audio", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206 and len(response.content) == 100
    assert response.headers["content-range"].startswith("bytes 0-99/")
    assert 'src="/episodes/ep-042-groeien/files/speakers.png"' in page(client)
    assert client.get(f"/episodes/{SLUG}/files/speakers.png").content.startswith(b"\x89PNG")


@pytest.mark.parametrize("path", [
    "/episodes/..%2F..%2Fetc/files/passwd",
    "/episodes/%2e%2e/files/catalog.sqlite",
    "/episodes/.hidden",
    f"/episodes/{SLUG}/files/.podpipe-manifest.json",
    f"/episodes/{SLUG}/files/..%2F..%2Fcatalog.sqlite",
    f"/episodes/{SLUG}/files/analysis.json",
    f"/episodes/{SLUG}/versions/..%2F..%2Ftranscript.json",
    f"/episodes/{SLUG}/versions/0001-x.json",
    "/episodes/kapot",
])
def test_paths_cannot_leave_the_output_folder(episode, path: str) -> None:
    client, _, _, _ = episode
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)


def test_outside_symlink_is_not_an_episode(episode, tmp_path: Path) -> None:
    client, out_dir, _, _ = episode
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "transcript.json").write_text((out_dir / "transcript.json").read_text())
    (out_dir.parent / "sneaky").symlink_to(outside)
    assert client.get("/episodes/sneaky").status_code == 404


def test_restore_refuses_names_outside_versions(episode) -> None:
    client, _, _, _ = episode
    page(client)
    data = {"csrf": client.cookies[CSRF_COOKIE], "version": "0", "name": "../transcript.json"}
    assert client.post(f"/episodes/{SLUG}/restore", data=data).status_code == 404


def test_non_local_bind_without_token_refuses_to_start(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PODPIPE_REVIEW__TOKEN", raising=False)
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.org"):
        with pytest.raises(ReviewConfigError, match="token"):
            check_bind(host, None)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, None)
    check_bind("0.0.0.0", "s3cret")
    with pytest.raises(ReviewConfigError, match="refusing to listen on 0.0.0.0"):
        serve(tmp_path, settings=Settings(), host="0.0.0.0", port=1)


def test_token_is_required_when_configured(tmp_path: Path) -> None:
    output_root, catalog, _ = build_episode(tmp_path)
    app = create_app(output_root, settings=Settings(), catalog=catalog, token="s3cret")
    with TestClient(app) as client:
        assert client.get("/", follow_redirects=False).status_code == 303
        assert client.get(f"/episodes/{SLUG}/audio", follow_redirects=False).status_code == 303
        assert client.post(f"/episodes/{SLUG}/save", data={}).status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        client.get("/login")
        wrong = client.post("/login", data={"csrf": client.cookies[CSRF_COOKIE], "token": "nope"})
        assert wrong.status_code == 401
        client.post("/login", data={"csrf": client.cookies[CSRF_COOKIE], "token": "s3cret"})
        assert "draft ready" in client.get("/").text


def test_simultaneous_saves_on_the_same_version_lose_nothing(episode) -> None:
    import threading

    from podpipe.review import store

    _, out_dir, _, _ = episode
    base = store.load_state(out_dir)
    results: list[str] = []

    def save(heading: str) -> None:
        notes = store.load_state(out_dir, 0).notes
        notes.sections[0].heading = heading
        try:
            store.save(out_dir, base.version, notes, base.speakers, settings=Settings())
            results.append("saved")
        except store.ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=save, args=(f"Kop {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict", "saved"]
    kept = [p.read_text() for p in (out_dir / "versions").rglob("0*.json")]
    assert any("Kop 0" in text for text in kept) and any("Kop 1" in text for text in kept)


def test_confirmed_host_voiceprint_is_enrolled_once(tmp_path: Path) -> None:
    naming = pytest.importorskip("podpipe.naming")
    output_root, catalog, _ = build_episode(tmp_path)
    out_dir = output_root / SLUG
    (out_dir / "speakers.centroids.json").write_text(json.dumps({"SPEAKER_00": [1.0, 0.0, 0.0],
                                                                  "SPEAKER_01": [0.0, 1.0, 0.0]}))
    settings = Settings()
    settings.paths.output = output_root
    app = create_app(output_root, settings=settings, catalog=catalog)
    with TestClient(app) as client:
        client.post(f"/episodes/{SLUG}/save", data=edit(form_of(page(client)), speaker__SPEAKER_00__name="Jan Host"))
        client.post(f"/episodes/{SLUG}/save", data=edit(form_of(page(client)), title="Nog eens"))
        client.post(f"/episodes/{SLUG}/save", data=edit(form_of(page(client)),
                                                         speaker__SPEAKER_01__name="Sofie Willox"))
    voiceprint = naming.VoiceprintStore.from_settings(settings).get("Jan Host")
    assert voiceprint is not None and voiceprint.count == 1 and voiceprint.vector[0] > 0.99
    guest = naming.VoiceprintStore.from_settings(settings).get("Sofie Willox")  # confirmed guests return
    assert guest is not None and guest.vector[1] > 0.99

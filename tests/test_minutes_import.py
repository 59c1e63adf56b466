"""`assembly import-minutes DIR --org SLUG`: past minutes from Markdown and text files become
approved historical minutes of closed meetings, sealed into the hash chain, read by the members
and nobody else; a second run adds nothing, a changed file is reported, a file without a date is
skipped with a message and a failing exit status."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from assembly.extensions import db
from assembly.meetings.models import Meeting, MeetingKind, MeetingStatus
from assembly.meetings.service import to_local
from assembly.minutes.importing import NotImportable, find_date, parse, split_front_matter
from assembly.minutes.models import ApprovalRoute, Minutes, MinutesStatus, MinutesVersion
from tests.test_voting_ui import client_for, text_of

FILES = {
    # The date in the name, the title in the first line.
    "2023-05-12-asamblea.md": "# Asamblea ordinaria de mayo\n\nSe aprueba el balance 2022.\n",
    # Front matter with Spanish keys, a time and a place, in a subfolder.
    "2022/marzo.markdown": (
        '---\ntítulo: "Asamblea extraordinaria de marzo"\nfecha: 2022-03-15\nhora: 18:30\n'
        "lugar: Galpón de la cooperativa\n---\n\n## Orden del día\n\n1. Compra de la plegadora\n"
    ),
    # Plain text in Latin-1, the date in its first lines, in Spanish.
    "viejas/acta-junio.txt": (
        "Acta de la reunión de junio\nBuenos Aires, 3 de junio de 2019\n\nSe trató la compra.\n"
    ).encode("latin-1"),
}
NO_DATE = {"sin-fecha.md": "# Notas sueltas\n\nAlgo que alguien anotó.\n"}
IGNORED = {"notas.pdf": b"%PDF-1.4", ".borradores/2020-01-01-x.md": "# Oculto\n"}


def write(directory: Path, files: dict) -> None:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Meeting, Minutes, MinutesVersion)
        )


def imported(app) -> dict[str, tuple[SimpleNamespace, SimpleNamespace]]:
    """{file name: (meeting, minutes)} as plain values, read in a session of their own."""
    with app.app_context():
        found = {}
        for m in db.session.scalars(select(Minutes).where(Minutes.imported_from.is_not(None))):
            meeting, version = m.meeting, m.latest
            found[m.imported_from] = (
                SimpleNamespace(
                    id=meeting.id,
                    title=meeting.title,
                    kind=meeting.kind,
                    status=meeting.status,
                    starts_at=meeting.starts_at,
                    started_at=meeting.started_at,
                    place=meeting.place,
                    items=list(meeting.items),
                ),
                SimpleNamespace(
                    status=m.status,
                    organisation_id=m.organisation_id,
                    imported_sha256=m.imported_sha256,
                    latest=SimpleNamespace(
                        text=version.text,
                        approved_via=version.approved_via,
                        approved_at=version.approved_at,
                        text_sha256=version.text_sha256,
                        chain_sha256=version.chain_sha256,
                    ),
                ),
            )
        return found


@pytest.fixture
def archive(tmp_path):
    write(tmp_path, FILES | NO_DATE | IGNORED)
    return tmp_path


def test_an_archive_comes_in_once_as_approved_sealed_minutes_of_closed_meetings(
    app, coop, runner, archive
):
    org, _people = coop
    result = runner.invoke(args=["import-minutes", str(archive), "--org", org.slug])
    # The file without a date is named, with what to do; the run says it failed.
    assert result.exit_code == 1
    assert "SKIPPED: sin-fecha.md: no date found" in result.output
    assert "imported 3, already there 0, changed 0, skipped 1." in result.output
    assert "notas.pdf" not in result.output and "Oculto" not in result.output
    assert counts(app) == (3, 3, 3)

    found = imported(app)
    assert set(found) == {"2023-05-12-asamblea.md", "2022/marzo.markdown", "viejas/acta-junio.txt"}
    meeting, minutes = found["2023-05-12-asamblea.md"]
    assert meeting.title == "Asamblea ordinaria de mayo"
    assert to_local(meeting.starts_at).date() == date(2023, 5, 12)
    assert meeting.kind == MeetingKind.ORDINARY and meeting.status == MeetingStatus.CLOSED
    assert meeting.started_at is None and meeting.items == []
    assert minutes.latest.text.startswith("# Asamblea ordinaria de mayo")
    meeting, minutes = found["2022/marzo.markdown"]
    assert meeting.title == "Asamblea extraordinaria de marzo"
    assert meeting.kind == MeetingKind.EXTRAORDINARY
    assert to_local(meeting.starts_at).replace(tzinfo=None).timetuple()[:5] == (
        2022,
        3,
        15,
        18,
        30,
    )
    assert meeting.place == "Galpón de la cooperativa"
    assert minutes.latest.text.startswith("## Orden del día")  # the front matter is not kept
    meeting, minutes = found["viejas/acta-junio.txt"]
    assert meeting.title == "Acta de la reunión de junio"  # Latin-1 read as such
    assert to_local(meeting.starts_at).date() == date(2019, 6, 3)
    for _meeting, minutes in found.values():
        assert minutes.status == MinutesStatus.APPROVED
        assert minutes.organisation_id == org.id
        version = minutes.latest
        assert version.approved_via == ApprovalRoute.IMPORTED and version.approved_at
        assert version.text_sha256 and version.chain_sha256 and len(minutes.imported_sha256) == 64
    assert runner.invoke(args=["verify-minutes"]).exit_code == 0

    # Again, the dateless file gone: nothing new, and a clean exit.
    (archive / "sin-fecha.md").unlink()
    result = runner.invoke(args=["import-minutes", str(archive), "--org", org.slug])
    assert result.exit_code == 0, result.output
    assert "imported 0, already there 3, changed 0, skipped 0." in result.output
    assert counts(app) == (3, 3, 3)

    # A file edited since: reported, the archive keeps what was imported (and approved).
    (archive / "2023-05-12-asamblea.md").write_text("# Otra cosa\n", encoding="utf-8")
    result = runner.invoke(args=["import-minutes", str(archive), "--org", org.slug])
    assert result.exit_code == 1
    assert "CHANGED SINCE IMPORTED: 2023-05-12-asamblea.md" in result.output
    assert "imported 0, already there 2, changed 1, skipped 0." in result.output
    assert counts(app) == (3, 3, 3)
    assert imported(app)["2023-05-12-asamblea.md"][1].latest.text.startswith("# Asamblea")
    assert runner.invoke(args=["verify-minutes"]).exit_code == 0


def test_the_same_files_for_other_organisations_are_their_own(
    app, coop, runner, archive, make_org, make_user
):
    org, _people = coop
    other = make_org("Otra Cooperativa", members={make_user(): "admin"})
    (archive / "sin-fecha.md").unlink()
    network = make_org("Red de Cooperativas", kind="network", members={make_user(): "admin"})
    for slug in (org.slug, other.slug, org.slug, network.slug):
        assert runner.invoke(args=["import-minutes", str(archive), "--org", slug]).exit_code == 0
    assert counts(app) == (9, 9, 9)
    with app.app_context():
        kinds = db.session.scalars(
            select(Meeting.kind).where(Meeting.organisation_id == network.id)
        ).all()
    assert kinds == [MeetingKind.PLENARY] * 3  # a network's meetings are its plenaries


def test_one_import_per_file_and_organisation_is_a_rule_of_the_database(app, coop, runner, archive):
    org, _people = coop
    runner.invoke(args=["import-minutes", str(archive), "--org", org.slug])
    with app.app_context():
        first = db.session.scalar(select(Minutes).where(Minutes.imported_from.is_not(None)))
        other_meeting = Meeting(
            organisation_id=org.id,
            kind=first.meeting.kind,
            title="Copia",
            starts_at=first.meeting.starts_at,
            planned_end_at=first.meeting.planned_end_at,
            status=MeetingStatus.CLOSED,
            projector_token="copia-del-proyector",
        )
        db.session.add(other_meeting)
        db.session.flush()
        db.session.add(
            Minutes(
                meeting_id=other_meeting.id,
                organisation_id=org.id,
                imported_from=first.imported_from,
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_members_read_the_imported_minutes_and_outsiders_nothing(
    app, coop, runner, archive, make_user, make_org
):
    org, people = coop
    runner.invoke(args=["import-minutes", str(archive), "--org", org.slug])
    meeting, _minutes = imported(app)["2023-05-12-asamblea.md"]
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    member = client_for(app, people["member"])
    page = member.get(f"{base}/minutes", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Se aprueba el balance 2022." in text_of(page)
    assert "imported from the file “2023-05-12-asamblea.md”" in text_of(page)
    # The meeting's own page, without attendance, agenda or polls, and its history.
    detail = member.get(f"{base}/")
    assert detail.status_code == 200 and "Asamblea ordinaria de mayo" in text_of(detail)
    for tail in ("/minutes/history", "/live", "/print", "/participation", "/meeting.ics"):
        assert member.get(base + tail).status_code == 200, tail
    export = member.get(f"{base}/minutes/export.md")
    assert export.status_code == 200 and "Se aprueba el balance" in text_of(export)
    # The secretary may correct them, as any approved minutes: a new version with a reason.
    secretary = client_for(app, people["secretary"])
    assert secretary.get(f"{base}/minutes/edit").status_code == 200

    stranger = make_user("Extraña", "extrana@otra.example")
    make_org("Otra Cooperativa", members={stranger: "admin"})
    outsider = client_for(app, stranger)
    for tail in ("/", "/minutes", "/minutes/history", "/minutes/export.md", "/minutes/export.html"):
        assert outsider.get(base + tail).status_code == 404, tail


def test_an_unknown_organisation_or_folder_is_refused(app, coop, runner, archive):
    result = runner.invoke(args=["import-minutes", str(archive), "--org", "no-existe"])
    assert result.exit_code != 0 and "No organisation is called no-existe" in result.output
    result = runner.invoke(args=["import-minutes", str(archive / "nada"), "--org", coop[0].slug])
    assert result.exit_code != 0
    assert counts(app) == (0, 0, 0)


# --- reading the files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Reunión del 1° de setiembre de 2020", date(2020, 9, 1)),
        ("Buenos Aires, 12 de Mayo del 2023.", date(2023, 5, 12)),
        ("1ro de abril 2024", date(2024, 4, 1)),
        ("Martes 7 de julio, 2015", date(2015, 7, 7)),
        ("Fecha: 12/05/2023", date(2023, 5, 12)),  # day first, as written in Argentina
        ("2021-11-30 asamblea", date(2021, 11, 30)),
        ("el 31/02/2023 no existe; el 2 de marzo de 2023 sí", date(2023, 3, 2)),
        ("Acta número 45", None),
    ],
)
def test_dates_as_old_minutes_write_them(text, expected):
    assert find_date(text) == expected


def test_front_matter_file_name_and_first_lines():
    fields, body = split_front_matter("---\ntitle: 'Asamblea: balance'\ndate: 2020-01-02\n---\nX")
    assert fields == {"title": "Asamblea: balance", "date": "2020-01-02"} and body == "X"
    assert split_front_matter("---\nsin cierre\n") == ({}, "---\nsin cierre\n")
    parsed = parse("20230512-acta.md", b"\xef\xbb\xbf\n\n## Acta de mayo\r\nTexto\r\n")
    assert (parsed.title, parsed.day, parsed.at) == ("Acta de mayo", date(2023, 5, 12), time(12))
    assert parsed.text == "## Acta de mayo\nTexto\n"
    assert parse("a.md", ("# " + "Título largo " * 30 + "\n2020-01-01").encode()).title.endswith(
        "…"
    )
    for raw, why in (
        (b"---\ndate: pronto\n---\nTexto", "is not a date"),
        (b"---\ndate: 2020-01-01\nhora: tarde\n---\nTexto", "is not a time of day"),
        (b"---\ndate: 2020-01-01\n---\n\n", "no text"),
        (b"2020-01-01\x00\x01", "not a text file"),
    ):
        with pytest.raises(NotImportable, match=why):
            parse("a.md", raw)

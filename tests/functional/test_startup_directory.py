"""The public startup directory at /startups: who is listed, filters, search, paging, the detail page."""

import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from dimoskopio.accounts.models import Role
from dimoskopio.seed import run_seeders
from events.models import Certificate, CertificateKind
from incubator.models import (
    Cohort,
    Startup,
    StartupFounder,
    StartupMilestone,
    StartupStage,
    StartupStatus,
    StartupStatusChange,
)
from tests.functional.test_incubator_staff import make_cohort, make_startup

LISTED = {"in_directory": True, "status": StartupStatus.INCUBATED}


def listed(page: Any) -> list[str]:
    return [row.th.text for row in page.html.select("#startup-directory tbody tr")]


@pytest.mark.parametrize("status", list(StartupStatus))
def test_only_startups_that_opted_in_while_incubated_graduated_or_alumni_are_listed(testapp, dbsession, status):
    make_startup(dbsession, "OliveSense", status=status, in_directory=True)
    make_startup(dbsession, "HelioGrid", status=status, in_directory=False)

    names = listed(testapp.get("/startups"))
    detail = testapp.get("/startups/olivesense", expect_errors=True)

    shown = status in (StartupStatus.INCUBATED, StartupStatus.GRADUATED, StartupStatus.ALUMNI)
    assert names == (["OliveSense"] if shown else [])
    assert detail.status_int == (200 if shown else 404)
    testapp.get("/startups/heliogrid", status=404)


def test_the_directory_needs_no_login_and_shows_the_listed_facts(testapp, dbsession, tr):
    cohort = make_cohort(dbsession, "Κύκλος 2026", programme="Επιτάχυνση")
    make_startup(dbsession, "OliveSense", sector="Αγροδιατροφή", stage=StartupStage.EARLY_REVENUE,
                 cohort_id=cohort.id, **LISTED)

    page = testapp.get("/startups")

    row = page.html.select_one("#startup-directory tbody tr")
    assert [cell.text.strip() for cell in row.select("th, td")] == [
        "OliveSense", "Αγροδιατροφή", tr("Early revenue"), tr("Incubated"), "Κύκλος 2026"]
    assert row.a["href"] == "/startups/olivesense"


def test_the_incubator_page_links_to_the_directory(testapp, tr):
    page = testapp.get("/incubator")

    assert page.click(tr("Startups"), href="/startups$").html.h1.text == tr("Startups")


def test_the_directory_filters_by_status_and_sector(testapp, dbsession):
    make_startup(dbsession, "OliveSense", sector="Αγροδιατροφή", **LISTED)
    make_startup(dbsession, "HelioGrid", sector="Ενέργεια", status=StartupStatus.GRADUATED, in_directory=True)
    make_startup(dbsession, "AquaLab", sector="Ενέργεια", status=StartupStatus.ALUMNI, in_directory=True)
    # Its sector is no choice: the startup is not listed.
    make_startup(dbsession, "MediLink", sector="Υγεία", status=StartupStatus.INCUBATED, in_directory=False)

    page = testapp.get("/startups")
    assert [option["value"] for option in page.html.select("#filter-sector option")] == [
        "", "Αγροδιατροφή", "Ενέργεια"]
    assert [option["value"] for option in page.html.select("#filter-status option")] == [
        "", "incubated", "graduated", "alumni"]
    assert listed(testapp.get("/startups", {"status": "graduated"})) == ["HelioGrid"]
    assert listed(testapp.get("/startups", {"sector": "Ενέργεια"})) == ["AquaLab", "HelioGrid"]
    assert listed(testapp.get("/startups", {"sector": "Ενέργεια", "status": "alumni"})) == ["AquaLab"]
    # A sector is matched exactly, not as a part of one.
    assert listed(testapp.get("/startups", {"sector": "Ενέργ"})) == []
    # Statuses the directory never shows are ignored, as are other nonsense values.
    assert listed(testapp.get("/startups", {"status": "withdrawn"})) == ["AquaLab", "HelioGrid", "OliveSense"]
    assert listed(testapp.get("/startups", {"status": "x" * 500, "page": "abc"})) == [
        "AquaLab", "HelioGrid", "OliveSense"]


def test_the_search_ignores_case_and_greek_accents(testapp, dbsession, tr):
    make_startup(dbsession, "Ελαιώνας Labs", slug="elaionas-labs", **LISTED)
    make_startup(dbsession, "ΘΥΜΑΡΙ", slug="thymari", **LISTED)
    make_startup(dbsession, "100%_Crete", slug="crete", **LISTED)
    make_startup(dbsession, "Ελαιόλαδο", slug="elaiolado", status=StartupStatus.CLOSED, in_directory=True)

    assert listed(testapp.get("/startups", {"q": "ελαιωνας"})) == ["Ελαιώνας Labs"]
    assert listed(testapp.get("/startups", {"q": "ΕΛΑΙΏΝ"})) == ["Ελαιώνας Labs"]
    assert listed(testapp.get("/startups", {"q": "θυμάρι"})) == ["ΘΥΜΑΡΙ"]
    assert listed(testapp.get("/startups", {"q": "%_"})) == ["100%_Crete"]
    empty = testapp.get("/startups", {"q": "ελαιολαδο"})
    assert listed(empty) == []
    assert tr("No startup matches these filters. Try fewer filters or clear them.") in empty.text


def test_the_directory_is_paged_and_the_links_keep_the_filters(testapp, dbsession):
    dbsession.rollback()
    dbsession.add_all(Startup(name=f"Startup {number:02}", slug=f"startup-{number:02}", sector="Λογισμικό",
                              **LISTED) for number in range(1, 27))
    dbsession.add(Startup(name="Startup 00", slug="startup-00", sector="Υγεία", **LISTED))
    dbsession.commit()

    first = testapp.get("/startups", {"sector": "Λογισμικό"})
    assert len(listed(first)) == 24
    assert listed(first)[0] == "Startup 01"
    second = first.click(href="page=2")
    assert "sector=" in second.request.url
    assert listed(second) == ["Startup 25", "Startup 26"]
    assert listed(testapp.get("/startups", {"sector": "Λογισμικό", "page": "999"})) == listed(second)


def test_the_detail_page_shows_the_profile_and_a_safe_website_link(testapp, dbsession, tr):
    cohort = make_cohort(dbsession, "Κύκλος 2026", programme="Πρόγραμμα επιτάχυνσης")
    make_startup(dbsession, "OliveSense", sector="Αγροδιατροφή", stage=StartupStage.MVP,
                 status=StartupStatus.ALUMNI, in_directory=True, cohort_id=cohort.id,
                 founded_on=datetime.date(2024, 5, 4), website="https://olivesense.example.gr",
                 description="Αισθητήρες για **ελαιώνες**.")

    page = testapp.get("/startups/olivesense")

    assert page.html.h1.text == "OliveSense"
    facts = dict(zip([term.text for term in page.html.select("dl.facts dt")],
                     [detail.text.strip() for detail in page.html.select("dl.facts dd")], strict=True))
    assert facts == {tr("Sector"): "Αγροδιατροφή", tr("Stage"): tr("MVP"), tr("Status"): tr("Alumni"),
                     tr("Founded"): "2024", tr("Website"): "https://olivesense.example.gr",
                     tr("Cohort"): "Κύκλος 2026 · Πρόγραμμα επιτάχυνσης"}
    link = page.html.select_one('a[href="https://olivesense.example.gr"]')
    assert link["rel"] == ["nofollow", "noopener"]
    assert page.html.select_one(".prose strong").text == "ελαιώνες"


def test_a_description_with_a_script_is_sanitized(testapp, dbsession):
    make_startup(dbsession, "OliveSense", description='<script>alert("x")</script>\n\n[κλικ](javascript:alert(1))',
                 **LISTED)

    page = testapp.get("/startups/olivesense")

    prose = page.html.select_one(".prose")
    assert prose.select("script") == []
    assert "javascript:" not in str(prose.select("a"))
    assert "<script>alert" not in page.text


def test_public_pages_never_show_founders(testapp, dbsession, user_factory):
    founder = user_factory(email="eleni.markaki@example.gr", name="Ελένη Μαρκάκη", role=Role.FOUNDER)
    startup = make_startup(dbsession, "OliveSense", **LISTED)
    dbsession.add(StartupFounder(startup_id=startup.id, user_id=founder.id, role="CEO"))
    dbsession.commit()

    for path in ("/startups", "/startups/olivesense", "/startups?q=olive"):
        text = testapp.get(path).text
        assert "Ελένη" not in text
        assert "Μαρκάκη" not in text
        assert "eleni.markaki" not in text


@pytest.mark.parametrize("path", ["/startups/unknown", "/startups/OliveSense", "/startups/olivesense/x"])
def test_unknown_addresses_are_not_found(testapp, dbsession, path):
    make_startup(dbsession, "OliveSense", **LISTED)

    testapp.get(path, status=404)


def test_the_seeded_directory_lists_startups_with_their_timelines_plans_logos_and_certificates(
        app, testapp, dbsession):
    dbsession.rollback()
    run_seeders(app.registry, dbsession, scale=1, today=datetime.date(2026, 6, 15))
    dbsession.commit()

    for cohort in dbsession.scalars(select(Cohort)):
        assert len(cohort.milestones) == 6
        assert all(cohort.starts_on <= milestone.due_on <= cohort.ends_on for milestone in cohort.milestones)
    for reached in dbsession.scalars(select(StartupMilestone)):
        assert reached.milestone.due_on <= datetime.date(2026, 6, 15)
        assert reached.completed_on <= datetime.date(2026, 6, 15)
        assert reached.startup.cohort_id == reached.milestone.cohort_id
    logos = list(dbsession.scalars(select(Startup.logo).where(Startup.logo.is_not(None))))
    assert logos and all(logo.startswith(b"\x89PNG") for logo in logos)
    [_older, latest_past, _current] = dbsession.scalars(select(Cohort).order_by(Cohort.starts_on)).all()
    graduates = dbsession.scalars(select(Startup).where(Startup.cohort_id == latest_past.id,
                                                        Startup.status == StartupStatus.GRADUATED)).all()
    assert graduates
    for startup in graduates:
        certificate = dbsession.get(Certificate, startup.graduation_certificate_id)
        assert (certificate.kind, certificate.recipient_name, certificate.revoked_at) == (
            CertificateKind.GRADUATION, startup.name, None)
        assert certificate.pdf.startswith(b"%PDF")

    statuses = dict(dbsession.execute(select(Startup.status, func.count()).group_by(Startup.status)).all())
    assert statuses[StartupStatus.INCUBATED] and statuses[StartupStatus.GRADUATED] and statuses[StartupStatus.ALUMNI]
    for startup in dbsession.scalars(select(Startup)):
        steps = [(change.status, change.changed_on) for change in startup.status_changes]
        cohort = dbsession.get(Cohort, startup.cohort_id)
        assert steps[0] == (StartupStatus.APPLICANT, cohort.starts_on - datetime.timedelta(days=30))
        assert steps[1] == (StartupStatus.INCUBATED, cohort.starts_on)
        assert steps[-1][0] is startup.status
        assert [day for _, day in steps] == sorted(day for _, day in steps)
        assert steps[-1][1] <= datetime.date(2026, 6, 15)
        if startup.status is StartupStatus.GRADUATED:
            assert steps[-1][1] == cohort.ends_on
    unlisted = dbsession.scalar(select(func.count()).select_from(Startup).where(
        Startup.in_directory.is_(True), Startup.status.in_((StartupStatus.WITHDRAWN, StartupStatus.CLOSED))))
    assert unlisted == 0
    assert dbsession.scalar(select(func.count()).select_from(StartupStatusChange)) > 0
    # At this scale every listed startup fits on the first page.
    assert len(listed(testapp.get("/startups"))) == dbsession.scalar(
        select(func.count()).select_from(Startup).where(Startup.in_directory.is_(True))) > 0



def test_the_directory_is_part_of_the_incubator_section(testapp, tr):
    current = testapp.get("/startups").html.select("header nav a[aria-current]")
    assert [link.text.strip() for link in current] == [tr("Incubator")]

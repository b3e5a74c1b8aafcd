"""The staff user list and role changes: who may grant which role."""

import pytest

from dimoskopio.accounts import views as account_views
from dimoskopio.accounts.models import Role
from tests.functional.conftest import csrf_token, reload


def role_form(page, user):
    action = f"/admin/users/{user.id}/role"
    forms = [form for form in page.forms.values() if form.action == action]
    return forms[0] if forms else None


def post_role(testapp, user_id, role, next_url=None):
    data = {"role": role, "csrf_token": csrf_token(testapp)}
    if next_url is not None:
        data["next"] = next_url
    return testapp.post(f"/admin/users/{user_id}/role", data, status="*")


def rows(page) -> int:
    return page.text.count('<th scope="row">')


def test_staff_can_make_a_member_a_mentor_and_return_to_the_list(testapp, logged_in, user_factory, dbsession, tr):
    member = user_factory(email="maria@example.gr")
    logged_in(Role.STAFF)
    page = testapp.get("/admin/users", {"q": "maria"})
    form = role_form(page, member)
    form["role"] = "mentor"

    response = form.submit()

    assert response.status_int == 303
    assert response.location == "http://localhost/admin/users?q=maria"
    assert reload(dbsession, member).role is Role.MENTOR
    assert tr("${email} is now: ${role}.", email="maria@example.gr", role=tr("Mentor")) in response.follow().text


def test_staff_cannot_grant_the_admin_role(testapp, logged_in, user_factory, dbsession):
    member = user_factory(email="maria@example.gr")
    logged_in(Role.STAFF)

    assert post_role(testapp, member.id, "admin").status_int == 403
    assert reload(dbsession, member).role is Role.MEMBER


def test_staff_cannot_change_an_administrators_role(testapp, logged_in, user_factory, dbsession):
    admin = user_factory(email="boss@example.gr", role=Role.ADMIN)
    logged_in(Role.STAFF)

    assert post_role(testapp, admin.id, "member").status_int == 403
    assert reload(dbsession, admin).role is Role.ADMIN


def test_an_admin_can_grant_and_remove_the_admin_role(testapp, logged_in, user_factory, dbsession):
    member = user_factory(email="maria@example.gr")
    logged_in(Role.ADMIN)

    assert post_role(testapp, member.id, "admin").status_int == 303
    assert reload(dbsession, member).role is Role.ADMIN
    assert post_role(testapp, member.id, "staff").status_int == 303
    assert reload(dbsession, member).role is Role.STAFF


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF])
def test_nobody_changes_their_own_role(role, testapp, logged_in, dbsession):
    me = logged_in(role)

    page = testapp.get("/admin/users")
    assert role_form(page, me) is None
    assert post_role(testapp, me.id, "member").status_int == 403
    assert reload(dbsession, me).role is role


@pytest.mark.parametrize("role", ["superuser", "", "ADMIN", "admin ", "member\x00"])
def test_an_unknown_role_is_refused_with_400(role, testapp, logged_in, user_factory, dbsession, tr):
    member = user_factory(email="maria@example.gr")
    logged_in(Role.ADMIN)

    response = post_role(testapp, member.id, role)

    assert response.status_int == 400
    assert tr("Unknown role.") in response.text
    assert reload(dbsession, member).role is Role.MEMBER


def test_a_role_change_without_a_role_is_refused_with_400(testapp, logged_in, user_factory):
    member = user_factory(email="maria@example.gr")
    logged_in(Role.ADMIN)

    response = testapp.post(f"/admin/users/{member.id}/role", {"csrf_token": csrf_token(testapp)}, status=400)

    assert "Traceback" not in response.text


def test_a_role_change_for_a_user_that_does_not_exist_is_404(testapp, logged_in):
    logged_in(Role.ADMIN)

    assert post_role(testapp, 987654, "staff").status_int == 404


def test_a_role_change_never_redirects_off_site(testapp, logged_in, user_factory):
    member = user_factory(email="maria@example.gr")
    logged_in(Role.ADMIN)

    response = post_role(testapp, member.id, "mentor", next_url="//evil.example/admin")

    assert response.location == "http://localhost/admin/users"


def test_search_finds_people_by_part_of_their_email_or_name(testapp, logged_in, user_factory):
    user_factory(email="zach@example.gr", name="Ζαχαρίας Ξενάκης")
    user_factory(email="nikos@example.gr", name="Νίκος Ψαράκης")
    user_factory(email="100%real@example.gr", name="Percent")
    logged_in(Role.STAFF)

    def found(query):
        return rows(testapp.get("/admin/users", {"q": query}))

    assert found("ZACH@") == 1
    assert found("Ζαχαρίας") == 1
    assert found("Ψαράκης") == 1
    assert found("example.gr") == 4
    assert found("100%") == 1
    assert found("%") == 1
    assert found("_") == 0


def test_search_ignores_the_case_of_greek_letters(testapp, logged_in, user_factory):
    user_factory(email="zach@example.gr", name="Ζαχαρίας Ξενάκης")
    logged_in(Role.STAFF)

    assert rows(testapp.get("/admin/users", {"q": "ζαχαρίας ξενάκης"})) == 1


def test_the_list_filters_by_role_and_ignores_an_unknown_role(testapp, logged_in, user_factory):
    user_factory(email="mentor@example.gr", role=Role.MENTOR)
    user_factory(email="maria@example.gr")
    logged_in(Role.STAFF)

    assert rows(testapp.get("/admin/users", {"role": "mentor"})) == 1
    assert rows(testapp.get("/admin/users", {"role": "pirate"})) == 3


def test_the_list_pages_through_many_accounts(testapp, logged_in, user_factory, monkeypatch):
    monkeypatch.setattr(account_views, "USERS_PER_PAGE", 2)
    for number in range(4):
        user_factory(email=f"person{number}@example.gr")
    logged_in(Role.STAFF)

    first = testapp.get("/admin/users")
    last = testapp.get("/admin/users", {"page": "3"})
    beyond = testapp.get("/admin/users", {"page": "99"})

    assert (rows(first), rows(last), rows(beyond)) == (2, 1, 0)
    assert 'rel="next"' in first.text
    assert 'rel="next"' not in last.text


def test_the_list_shows_roles_in_the_visitors_language(testapp, logged_in, user_factory, tr):
    user_factory(email="mentor@example.gr", role=Role.MENTOR)
    logged_in(Role.STAFF)

    page = testapp.get("/admin/users")

    assert f">{tr('Mentor')}</option>" in page.text

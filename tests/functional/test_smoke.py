from tests.conftest import login


def test_home_page_is_greek_by_default(testapp):
    page = testapp.get("/")
    assert page.status_int == 200
    assert '<html lang="el">' in page.text


def test_signup_verify_login(testapp, outbox):
    page = testapp.get("/signup")
    form = page.forms["signup-form"]
    form["name"] = "Νίκος Ψαράκης"
    form["email"] = "nikos@example.gr"
    form["password"] = "a long enough password"
    form["password_confirm"] = "a long enough password"
    form["accept_terms"] = True
    response = form.submit()
    assert response.status_int == 303
    messages = outbox()
    assert len(messages) == 1
    body = messages[0].get_body(("plain",)).get_content()
    link = next(line for line in body.splitlines() if "/account/verify?token=" in line).strip()
    verified = testapp.get(link.replace("http://localhost", "")).forms["confirm-form"].submit()
    assert verified.status_int == 303
    assert login(testapp, "nikos@example.gr", "a long enough password").status_int == 303


def test_the_privacy_notice_states_its_version_and_whom_to_ask(testapp, tr):
    page = testapp.get("/privacy")

    assert tr("Privacy notice") in page.html.h1.text
    assert "2026-01" in page.text
    assert "info@dimoskopio.example" in page.text
    assert page.html.select_one("footer a[href='/privacy']") is not None
    assert testapp.get("/signup").html.select_one("#signup-form a[href='/privacy']") is not None

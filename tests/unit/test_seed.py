from dimoskopio.i18n import transliterate


def test_greek_names_become_plausible_email_local_parts():
    assert transliterate("Ευαγγελία") == "evangelia"
    assert transliterate("Κουνάλη") == "kounali"
    assert transliterate("Σταυρακάκης") == "stavrakakis"
    assert transliterate("Χατζηδάκης") == "chatzidakis"

from dimoskopio.i18n import transliterate


def test_greek_names_become_plausible_email_local_parts():
    assert transliterate("Ευαγγελία") == "evangelia"
    assert transliterate("Κουνάλη") == "kounali"
    assert transliterate("Σταυρακάκης") == "stavrakakis"
    assert transliterate("Χατζηδάκης") == "chatzidakis"


def test_the_newsletter_demo_has_subscribers_in_every_state_with_their_consent(app, dbsession):
    from sqlalchemy import func, select

    from dimoskopio.seed import run_seeders
    from mailing.models import ConsentRecord, Subscriber, SubscriberStatus, Suppression

    dbsession.rollback()
    run_seeders(app.registry, dbsession, scale=0.2)
    dbsession.commit()

    statuses = dict(dbsession.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status)).all())
    assert set(statuses) == set(SubscriberStatus)
    without_consent = dbsession.scalar(select(func.count()).select_from(Subscriber).where(
        ~Subscriber.id.in_(select(ConsentRecord.subscriber_id))))
    assert without_consent == 0, "everyone has a consent record"
    unsubscribed = set(dbsession.scalars(select(Subscriber.email).where(
        Subscriber.status == SubscriberStatus.UNSUBSCRIBED)))
    assert unsubscribed <= set(dbsession.scalars(select(Suppression.email)))

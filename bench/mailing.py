"""A 10,000-recipient campaign, sent the way staff send one, to a local SendGrid-compatible server.

Ours: "Send now" through the app, then the worker's task (run in this process by Huey, as the
worker runs it): the ledger is written once, and each request carries up to a thousand
personalizations. Naive: one Mail Send request per recipient with that person's merge data, each
recorded in the ledger as it is accepted; timed on a sample of 500 in the same run and scaled to
the whole campaign. Both talk HTTP to the same local server, which checks every request as the
real API does.
"""

import resource
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import transaction
from sqlalchemy import insert, select, update

from bench.common import BenchResult, scratch_app
from dimoskopio.db import get_tm_session, utcnow
from dimoskopio.mail.services import BatchMessage, BatchRecipient, IMailer
from dimoskopio.tasks import run_pending_tasks, task_request
from mailing import delivery
from mailing.campaign_services import list_headers, render_campaign, substitutions
from mailing.models import (
    Campaign,
    CampaignRecipient,
    MailingTopic,
    RecipientStatus,
    Subscriber,
    SubscriberStatus,
    Subscription,
)
from mailing.services import LinkMaker
from tests.sendgrid_server import SendGridServer

RECIPIENTS = 10_000
NAIVE_SAMPLE = 500
BODY = """Γεια σου {{ first_name }},

Αυτόν τον μήνα στο Δημοσκόπιο: **Startup Weekend Ηρακλείου**, εργαστήρια για επιχειρηματικά
σχέδια και ανοιχτή πρόσκληση για την επόμενη ομάδα εκκόλαψης.

- 5 Δεκεμβρίου: Εργαστήριο Business Model Canvas
- 12 Δεκεμβρίου: Pitch night με επενδυτές από την Κρήτη και την Αθήνα
- 19 Δεκεμβρίου: Ημέρα ενημέρωσης για χρηματοδοτήσεις ΕΣΠΑ

[Άλλαξε τις προτιμήσεις σου]({{ preferences_url }})
"""


def _campaign(app: Any) -> int:
    manager = transaction.TransactionManager(explicit=True)
    session = get_tm_session(app.registry["dbsession_factory"], manager)
    with manager:
        # The lists a fresh installation has (from its migration).
        topic = session.scalar(select(MailingTopic).where(MailingTopic.slug == "events"))
        now = utcnow()
        session.execute(insert(Subscriber), [
            {"email": f"person-{number}@example.gr", "name": f"Ελευθερία Παπαδάκη {number}",
             "locale": "el", "status": SubscriberStatus.ACTIVE, "link_salt": secrets.token_hex(16),
             "created_at": now, "confirmed_at": now}
            for number in range(RECIPIENTS)])
        ids = session.scalars(select(Subscriber.id)).all()
        session.execute(insert(Subscription), [{"subscriber_id": subscriber_id, "topic_id": topic.id,
                                                "created_at": now} for subscriber_id in ids])
        campaign = Campaign(subject="Τα νέα του Δεκεμβρίου, {{ first_name }}", preheader="Εκδηλώσεις και προσκλήσεις",
                            body=BODY, locale="el", topics=[topic])
        session.add(campaign)
        session.flush()
        return campaign.id


def _send_ours(campaign_id: int) -> float:
    started = time.perf_counter()
    with task_request() as request:
        delivery.start_sending(request, request.dbsession.get(Campaign, campaign_id), utcnow())
    run_pending_tasks()
    return time.perf_counter() - started


def _send_naive(campaign_id: int) -> float:
    """One request per recipient, each recorded as it is accepted, for the sample."""
    started = time.perf_counter()
    with task_request() as request:
        campaign = request.dbsession.get(Campaign, campaign_id)
        rendered = render_campaign(request, campaign)
        links = LinkMaker(request, campaign_id)
        mailer = request.registry.getUtility(IMailer)
        rows = request.dbsession.execute(
            select(CampaignRecipient.id, Subscriber).join(Subscriber, Subscriber.id == CampaignRecipient.subscriber_id)
            .where(CampaignRecipient.campaign_id == campaign_id).order_by(CampaignRecipient.id)
            .limit(NAIVE_SAMPLE)).all()
        for recipient_id, subscriber in rows:
            message = BatchMessage(
                sender="Dimoskopio <no-reply@dimoskopio.example>", subject=rendered.subject, text=rendered.text,
                html=rendered.html, categories=["newsletter"], custom_args={},
                recipients=[BatchRecipient(subscriber.email, subscriber.name, substitutions(links, subscriber),
                                           list_headers(request, links.unsubscribe_url(subscriber), None),
                                           {"campaign_id": str(campaign_id), "recipient_id": str(recipient_id)})])
            message_id = mailer.send_batch(message)
            request.dbsession.execute(update(CampaignRecipient).where(CampaignRecipient.id == recipient_id)
                                      .values(status=RecipientStatus.SENT, message_id=message_id, sent_at=utcnow()))
            request.tm.commit()
            request.tm.begin()
    return time.perf_counter() - started


def run() -> BenchResult:
    server = SendGridServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-mailing-") as scratch:
            app = scratch_app(Path(scratch), **{"mail.backend": "sendgrid", "sendgrid.api_key": "SG.bench",
                                                "sendgrid.host": server.url})
            ours_campaign = _campaign(app)
            ours_seconds = _send_ours(ours_campaign)
            ours_requests = len(server.received)
            delivered = server.delivered_addresses()
            if len(delivered) != RECIPIENTS or len(set(delivered)) != RECIPIENTS:
                raise RuntimeError(f"ours delivered {len(delivered)} messages to {len(set(delivered))} people")
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

            # The naive way sends the same campaign (its ledger is already written) to a sample.
            with task_request() as request:
                request.dbsession.execute(update(CampaignRecipient).values(status=RecipientStatus.PENDING))
            server.received.clear()
            sample_seconds = _send_naive(ours_campaign)
            naive_requests_sample = len(server.received)
            if naive_requests_sample != NAIVE_SAMPLE:
                raise RuntimeError(f"naive sent {naive_requests_sample} requests for {NAIVE_SAMPLE} people")
            naive_seconds = sample_seconds * RECIPIENTS / NAIVE_SAMPLE
    finally:
        server.stop()
    return BenchResult(
        name="mailing",
        goal=f"a {RECIPIENTS:,}-recipient campaign in at most 10 requests; ratio = naive seconds / ours seconds",
        ours={"requests": ours_requests, "seconds": round(ours_seconds, 2),
              "recipients_per_s": round(RECIPIENTS / ours_seconds), "peak_mb": round(peak_mb, 1)},
        naive={"requests": RECIPIENTS, "seconds": round(naive_seconds, 2),
               "recipients_per_s": round(RECIPIENTS / naive_seconds), "peak_mb": round(peak_mb, 1)},
        ratio=naive_seconds / ours_seconds,
        notes=[f"naive timed on a sample of {NAIVE_SAMPLE} and scaled; peak_mb is the benchmark process's "
               "peak resident memory (the naive run comes second, so its figure includes ours)"],
    )

"""The newsletter's public pages: subscribe, confirm, preferences, and unsubscribe (RFC 8058)."""

from typing import Any

from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from mailing import services, webhook
from mailing.forms import PreferencesForm, SubscribeForm, chosen_topics
from mailing.models import ConsentSource, Subscriber, SubscriberStatus

INVALID_LINK = _("This link is not valid. Check that you copied all of it from the email.")


def _subscriber(request: Request, purpose: str) -> Subscriber:
    secret = request.registry.settings["dimoskopio.secret"]
    subscriber = services.subscriber_for_token(request.dbsession, secret, purpose, request.matchdict["token"])
    if subscriber is None:
        raise HTTPBadRequest(request.localizer.translate(INVALID_LINK))
    return subscriber


@view_config(route_name="mailing.index", renderer="mailing/index.jinja2")
def index(request: Request) -> Any:
    topics = services.topics(request.dbsession)
    form = SubscribeForm(request, topics)
    if request.method == "POST":
        if form.validate():
            services.request_subscription(
                request, form.email.data, (form.name.data or "").strip(), form.language.data,
                chosen_topics(form.topics, topics), ConsentSource.FORM,
                services.client_address(request), utcnow(),
            )
            return HTTPSeeOther(request.route_path("mailing.subscribed"))
        request.response.status = 400
    return {"form": form, "topics": topics}


@view_config(route_name="mailing.subscribed", renderer="mailing/subscribed.jinja2")
def subscribed(request: Request) -> dict[str, Any]:
    return {}


@view_config(route_name="mailing.confirm", renderer="mailing/confirm.jinja2")
def confirm(request: Request) -> Any:
    """A button, not an action on GET: mail scanners open links, people press buttons."""
    subscriber = _subscriber(request, "confirm")
    if request.method == "POST":
        confirmed = services.confirm(request, subscriber, services.client_address(request), utcnow())
        if confirmed:
            request.flash_message(_("Thank you! Your subscription is confirmed."))
        if subscriber.status != SubscriberStatus.ACTIVE:  # unsubscribed since, or expired: the page says so
            return HTTPSeeOther(request.route_path("mailing.confirm", token=request.matchdict["token"]))
        token = services.link_token(request.registry.settings["dimoskopio.secret"], "preferences", subscriber)
        return HTTPSeeOther(request.route_path("mailing.preferences", token=token))
    expired = services.confirmation_expired(subscriber, utcnow())
    return {"subscriber": subscriber, "status": "expired" if expired else subscriber.status.value}


@view_config(route_name="mailing.preferences", renderer="mailing/preferences.jinja2")
def preferences(request: Request) -> Any:
    subscriber = _subscriber(request, "preferences")
    topics = services.topics(request.dbsession)
    form = PreferencesForm(request, topics)
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        if request.method == "POST":
            request.response.status = 409
        return {"form": form, "subscriber": subscriber, "status": subscriber.status.value}
    if request.method != "POST":
        form.topics.data = [str(topic_id) for topic_id in sorted(subscriber.topic_ids)]
        form.language.data = subscriber.locale
    elif form.validate():
        services.change_preferences(request, subscriber, chosen_topics(form.topics, topics),
                                    form.language.data, services.client_address(request), utcnow())
        unsubscribed = subscriber.status == SubscriberStatus.UNSUBSCRIBED
        request.flash_message(_("You are unsubscribed. We will not email you again.") if unsubscribed
                              else _("Your preferences are saved."))
        return HTTPSeeOther(request.route_path("mailing.preferences", token=request.matchdict["token"]))
    else:
        request.response.status = 400
    return {"form": form, "subscriber": subscriber, "status": subscriber.status.value}


@view_config(route_name="mailing.unsubscribe", renderer="mailing/unsubscribe.jinja2", require_csrf=False)
def unsubscribe(request: Request) -> Any:
    """RFC 8058: a POST (the mail app's one-click button, or the page's) unsubscribes at once,
    with no login and no CSRF token; a GET only shows the page, since link scanners follow links."""
    subscriber = _subscriber(request, "unsubscribe")
    if request.method == "POST":
        now = utcnow()
        if services.unsubscribe(request, subscriber, ConsentSource.ONE_CLICK, services.client_address(request), now):
            # A campaign's email names the campaign in its link: the unsubscribe counts in its statistics.
            webhook.record_campaign_unsubscribe(request.dbsession, subscriber, request.GET.get("campaign"), now)
        return {"subscriber": subscriber, "done": True}
    return {"subscriber": subscriber, "done": subscriber.status == SubscriberStatus.UNSUBSCRIBED}

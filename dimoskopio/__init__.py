"""Dimoskopio: the innovation and entrepreneurship centre system."""

from typing import Any

from pyramid.router import Router


def main(global_config: dict[str, Any] | None = None, **settings: Any) -> Router:
    """The WSGI application factory."""
    from dimoskopio.config import make_configurator

    return make_configurator(settings).make_wsgi_app()

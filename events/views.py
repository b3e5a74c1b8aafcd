from typing import Any

from pyramid.request import Request
from pyramid.view import view_config


@view_config(route_name="events.index", renderer="events/index.jinja2")
def index(request: Request) -> dict[str, Any]:
    return {}

"""Server-rendered pages for providers, agents and supervisors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

HOME_BY_ROLE = {"provider": "/chat/", "agent": "/agent/", "supervisor": "/supervisor/"}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(HOME_BY_ROLE.get(request.user.role, "/login/"))

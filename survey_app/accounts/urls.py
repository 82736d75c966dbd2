"""Where a user lands, and which ``next`` addresses are safe to follow after log-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import url_for

from diagnostics.roles import Role, may_open


def home_for(user: Any) -> str:
    """Each role's start page: an enterprise its own profile, staff their lists."""
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return url_for("enterprise.show", enterprise_id=user.enterprise_id)
    if may_open(user.role, "field"):
        return url_for("field.index")
    if may_open(user.role, "enterprise_list"):
        return url_for("admin.enterprises")
    return url_for("accounts.login")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (``/x``), never ``//other.host`` or ``https://other.host``."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target

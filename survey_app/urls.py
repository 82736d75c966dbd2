"""Where a user lands, and which ``next`` addresses are safe to follow after log-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import url_for


def home_for(user: Any) -> str:
    """Each role's start page: an enterprise its own profile, staff their lists."""
    if user.role == "enterprise" and user.enterprise_id:
        return url_for("enterprise.show", enterprise_id=user.enterprise_id)
    if user.role == "commissioner":
        return url_for("field.index")
    return url_for("admin.enterprises")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (``/x``), never ``//other.host`` or ``https://other.host``."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target

"""Password hashing (werkzeug's current default, scrypt) and the password policy, behind small functions.

The policy is what every form that sets a password asks (registration, staff account, password change,
admin reset): long enough, not the user name, not one of the passwords every guessing list starts with.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

MAX_PASSWORD_LENGTH = 128
# The first entries of every public guessing list (e.g. the "top 20" of SplashData/NordPass yearly lists),
# plus the local habits seen in Chinese deployments (pinyin words, 123456 variants, the product name).
COMMON_PASSWORDS = frozenset({
    "12345678", "123456789", "1234567890", "password", "password1", "qwertyui", "qwerty123", "11111111",
    "00000000", "88888888", "66666666", "abc12345", "a1234567", "iloveyou", "admin123", "administrator",
    "12341234", "87654321", "woaini1314", "1q2w3e4r", "qwe12345", "zxcvbnm1", "passw0rd", "shuzhen123",
    "shuzhen-demo", "changeme", "welcome1", "asdfghjk",
})


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def password_problem(password: str | None, username: str | None, min_length: int) -> str | None:
    """Why ``password`` is refused for ``username`` (a translated message), or None when it is fine."""
    password = password or ""
    if len(password) < min_length:
        return str(_l("At least %(n)d characters", n=min_length))
    if len(password) > MAX_PASSWORD_LENGTH:
        return str(_l("At most 128 characters"))
    lowered = password.lower()
    if username and username.strip() and username.strip().lower() in lowered:
        return str(_l("The password must not contain the user name"))
    if lowered in COMMON_PASSWORDS or len(set(password)) <= 2:
        return str(_l("This password is too common; choose another"))
    return None

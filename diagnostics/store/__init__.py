
# Tables kept in their own modules join Base.metadata whenever the store is imported (so Alembic and the
# tests see them). Here rather than at the bottom of models.py: that would be an import circle.
from diagnostics.store import models_field  # noqa: E402,F401


# Table modules beyond models.py join the one metadata (Alembic, the tests' table list) on first import of
# the store; registered here rather than at the bottom of models.py, which would be an import circle.
from diagnostics.store import models_programme  # noqa: E402,F401

"""The database side of the domain: models, shared queries, the questionnaire catalogue.

The console's tables live in their own module (``models_console``); importing the package registers
them on ``models.Base.metadata`` (Alembic, the tests' table cleanup), without ``models`` importing them
back (which would be an import circle).
"""

from diagnostics.store import models_console  # noqa: F401

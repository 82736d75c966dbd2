"""The database side of the domain: models, shared queries, the questionnaire catalogue.

Tables kept in their own modules (``models_trust``, ``models_field``, ``models_console``, ...) join
``models.Base.metadata`` whenever the store package is imported (so Alembic and the tests' table cleanup
see them), without ``models`` importing them back (which would be an import circle).
"""

from diagnostics.store import models_console, models_field, models_programme, models_trust  # noqa: F401

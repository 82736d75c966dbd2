"""The shared store: SQLAlchemy models, engines and the queries the app and the flows share.

Importing the package registers every table module with ``Base.metadata`` (Alembic and the tests see
them all) without ``models`` importing its extensions back, which would be an import circle.
"""

from diagnostics.store import models_trust  # noqa: F401  (its tables join Base.metadata)

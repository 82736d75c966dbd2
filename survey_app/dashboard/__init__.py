"""The officials' console: overview, industry map, enterprise directory and portraits, needs, shortlist,
downloads, and a technical page for admins. Data comes from the pipeline's snapshots through
``adapters`` (the one place that knows their shape)."""

from typing import Any

from flask import Blueprint

from survey_app.diagnosis.charts import PLOTLY_VERSION

bp = Blueprint("dashboard", __name__, template_folder="templates", url_prefix="/dashboard")


@bp.context_processor
def _plotly() -> dict[str, Any]:
    return {"plotly_version": PLOTLY_VERSION}


# the views attach themselves to bp
from survey_app.dashboard import directory, downloads, map_pages, pilot_pages, routes  # noqa: E402,F401

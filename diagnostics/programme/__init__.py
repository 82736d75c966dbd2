"""Pilot programmes: providers, solution pool, projects, T0/T1 acceptance, evaluation, handbook, report.

Everything here is pure (plain values in, plain values out); the records live in
``diagnostics/store/models_programme.py`` and their queries in ``diagnostics/store/programme_data.py``.
"""

"""Excel deliverables: one diagnosis workbook per enterprise (一企一诊断书) and one per cluster.

Both are written with xlsxwriter in ``constant_memory`` mode (rows strictly in order, flushed as they
go) through ``safe.SheetWriter``, which writes every string with ``write_string``: text an enterprise
typed (``=HYPERLINK(...)``, ``+1``, ``@cmd``) is stored as text and can never run as a formula.
"""

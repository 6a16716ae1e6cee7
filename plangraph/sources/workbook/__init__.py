"""The plan workbook: a plan of action as a spreadsheet (.xlsx, .ods, or CSV files in a folder
or zip), described once in ``schema.json`` (a Frictionless Data Package of Table Schemas).

``schema.py`` reads that description; ``reader.py`` reads a workbook's cells (python-calamine,
with size and zip-bomb limits); ``validate.py`` checks every cell and turns a valid workbook into
the records of :mod:`plangraph.sources.model`; ``problems.py`` holds the cell-level report;
``writer.py`` writes the blank template and exports a parsed plan (openpyxl: drop-downs and
hints); ``importer.py`` adds a valid workbook to data/ (all or nothing); ``parser.py`` is the
``workbook`` layout the build reads it with.
"""

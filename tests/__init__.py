"""Hutong's tests.

pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their
environment; Rich would fix the CLI's console at 80 columns when it is first
imported and cut the tables the CLI tests read. Tests that need a width say
so when they invoke the CLI (COLUMNS=200).
"""

import os

os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

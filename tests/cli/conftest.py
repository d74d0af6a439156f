"""The order commands are tried against the orders tests' shop."""

from tests.commerce.shop import shop  # noqa: F401  (the fixture)

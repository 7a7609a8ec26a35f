"""Models for the test suite: one module per feature, imported here so Django finds them."""

from tests.testapp.models_bulk import *  # noqa: F403
from tests.testapp.models_csv import *  # noqa: F403

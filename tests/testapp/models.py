"""Models for the test suite."""

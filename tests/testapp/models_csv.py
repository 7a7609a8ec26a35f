"""Models for the CSV tests."""

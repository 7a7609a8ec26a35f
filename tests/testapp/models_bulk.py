"""Models for the bulk-insert tests."""

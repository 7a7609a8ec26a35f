"""The package imports, the extension is built, and the settings are validated."""

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

import djfast
from djfast import _djfast
from djfast.conf import DEFAULTS, djfast_settings, validate


def test_extension_is_the_compiled_module():
    assert _djfast.__file__.endswith((".so", ".pyd"))
    assert djfast.__version__


def test_defaults_are_valid_and_readable():
    assert validate(DEFAULTS) == []
    assert djfast_settings.COMPRESSION["GZIP_LEVEL"] == 6
    assert djfast_settings.BULK["BATCH_SIZE"] == 5000


@override_settings(DJFAST={"COMPRESSION": {"GZIP_LEVEL": 3}})
def test_user_values_merge_over_defaults():
    assert djfast_settings.COMPRESSION["GZIP_LEVEL"] == 3
    assert djfast_settings.COMPRESSION["MIN_LENGTH"] == 200


@pytest.mark.parametrize(
    "value, fragment",
    [
        ([], "must be a dict"),
        ({"COMPRESION": {}}, "COMPRESION"),
        ({"COMPRESSION": {"GZIP_LEVEL": 0}}, "between 1 and 9"),
        ({"COMPRESSION": {"GZIP_LEVEL": True}}, "must be an integer"),
        ({"COMPRESSION": {"ENCODINGS": ["deflate"]}}, "unknown encodings"),
        ({"COMPRESSION": {"GZIP_ENGINE": "zlib"}}, "must be one of"),
        ({"COMPRESSION": {"ISAL_LEVEL": 4}}, "between 0 and 3"),
        ({"COMPRESSION": {"BROTLI_LEVEL": 12}}, "between 0 and 11"),
        ({"COMPRESSION": {"ENCODINGS": []}}, "non-empty"),
        ({"COMPRESSION": {"ENCODINGS": ["gzip", "gzip"]}}, "twice"),
        ({"CSV": {"CHUNK_SIZE": -1}}, "CHUNK_SIZE"),
        ({"BULK": {"BATCH_SIZE": "5"}}, "must be an integer"),
        ({"CACHE_KEY_SECRET": b""}, "non-empty"),
        ({"CSV": 5}, "must be a dict"),
    ],
)
def test_bad_settings_are_system_check_errors(value, fragment):
    with override_settings(DJFAST=value):
        errors = [e for e in checks.run_checks(tags=["djfast"]) if e.id == "djfast.E001"]
        assert errors and any(fragment in e.msg for e in errors), errors
        with pytest.raises(ImproperlyConfigured, match=fragment):
            djfast_settings.COMPRESSION  # noqa: B018


def test_valid_settings_pass_the_check():
    with override_settings(
        DJFAST={"COMPRESSION": {"ENCODINGS": ["gzip"]}, "CACHE_KEY_SECRET": "s"}
    ):
        assert [e for e in checks.run_checks(tags=["djfast"]) if e.id == "djfast.E001"] == []

"""BulkInserter(update_conflicts=True) leaves the table as bulk_create(update_conflicts=True)
leaves it, on SQLite, PostgreSQL and MariaDB; and refuses what bulk_create refuses, with the
same messages."""

from __future__ import annotations

import warnings

import pytest
from django.db import connections, transaction

from djfast.bulk import BulkInserter, BulkInsertError
from tests.test_bulk_data import ALIASES, DBS, django_kwargs, make_related, zoo_rows, zoo_table
from tests.testapp.models_bulk import BulkAuthor, BulkPlain, BulkZoo

pytestmark = pytest.mark.django_db(databases=DBS)

ZOO_UPDATES = ["small", "price", "title", "stamp", "day", "blob", "data", "author", "label"]


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def target(alias: str, unique: list[str]) -> dict:
    """unique_fields as bulk_create takes them on this database (MariaDB takes none)."""
    features = connections[alias].features
    return {"unique_fields": unique} if features.supports_update_conflicts_with_target else {}


def upsert_rows(authors, uauthors, n: int) -> list[dict]:
    """Rows keyed n/2..3n/2: the first half conflicts with the seeded rows 0..n-1 on `key`, the
    values come from other rows of the zoo."""
    source = zoo_rows(authors, uauthors, 2 * n)
    rows = []
    for i in range(n // 2, n + n // 2):
        row = dict(source[(i * 7 + 5) % (2 * n)])
        row["key"] = i
        rows.append(row)
    return rows


def seed_zoo(alias: str, authors, uauthors, n: int) -> None:
    BulkZoo.objects.using(alias).all().delete()
    rows = zoo_rows(authors, uauthors, n)
    quiet(BulkZoo.objects.using(alias).bulk_create, [BulkZoo(**django_kwargs(r)) for r in rows])


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("form", ["dict", "instance"])
@pytest.mark.parametrize("batch_size", [5, 1000])
def test_upsert_on_a_unique_field_writes_the_table_bulk_create_writes(alias, form, batch_size):
    authors, uauthors = make_related(alias)
    n = 40
    rows = upsert_rows(authors, uauthors, n)
    options = {"update_conflicts": True, "update_fields": ZOO_UPDATES, **target(alias, ["key"])}

    seed_zoo(alias, authors, uauthors, n)
    quiet(
        BulkZoo.objects.using(alias).bulk_create,
        [BulkZoo(**django_kwargs(r)) for r in rows],
        batch_size=batch_size,
        **options,
    )
    expected = zoo_table(alias)

    seed_zoo(alias, authors, uauthors, n)
    before = zoo_table(alias)
    fields = [f.name for f in BulkZoo._meta.concrete_fields if f.name != "id"]
    with BulkInserter(BulkZoo, fields, batch_size=batch_size, using=alias, **options) as ins:
        for r in rows:
            quiet(ins.add, r if form == "dict" else BulkZoo(**django_kwargs(r)))
    assert zoo_table(alias) == expected
    assert len(expected) == n + n // 2 and expected != before  # inserts and updates happened


def plain(alias: str) -> list[tuple]:
    return list(BulkPlain.objects.using(alias).order_by("id").values_list("id", "code", "qty"))


@pytest.mark.parametrize("alias", ALIASES)
def test_upsert_on_the_primary_key_writes_the_table_bulk_create_writes(alias):
    seed = [BulkPlain(id=i, code=f"c{i}", qty=i) for i in range(1, 11)]
    rows = [(i, f"c{i}", 100 + i) for i in range(5, 16)]
    options = {"update_conflicts": True, "update_fields": ["qty"], **target(alias, ["pk"])}
    BulkPlain.objects.using(alias).bulk_create(seed)
    BulkPlain.objects.using(alias).bulk_create(
        [BulkPlain(id=i, code=c, qty=q) for i, c, q in rows], **options
    )
    expected = plain(alias)
    BulkPlain.objects.using(alias).all().delete()
    BulkPlain.objects.using(alias).bulk_create(seed)
    with BulkInserter(BulkPlain, ["id", "code", "qty"], using=alias, **options) as ins:
        ins.add_many(rows)
    assert plain(alias) == expected
    assert expected[4:] == [(i, f"c{i}", 100 + i) for i in range(5, 16)]


@pytest.mark.parametrize("alias", ALIASES)
def test_key_repeated_in_one_batch_does_what_bulk_create_does(alias):
    seed = [BulkPlain(code="a", qty=1)]
    rows = [("a", 2), ("b", 3), ("a", 4)]
    options = {"update_conflicts": True, "update_fields": ["qty"], **target(alias, ["code"])}
    BulkPlain.objects.using(alias).bulk_create(seed)
    try:
        with transaction.atomic(using=alias):
            BulkPlain.objects.using(alias).bulk_create(
                [BulkPlain(code=c, qty=q) for c, q in rows], **options
            )
    except Exception as exc:
        theirs = exc
    else:
        theirs = None
    expected = sorted(BulkPlain.objects.using(alias).values_list("code", "qty"))
    BulkPlain.objects.using(alias).all().delete()
    BulkPlain.objects.using(alias).bulk_create([BulkPlain(code="a", qty=1)])
    try:
        with BulkInserter(BulkPlain, ["code", "qty"], using=alias, **options) as ins:
            ins.add_many(rows)
    except BulkInsertError as exc:
        ours = exc.__cause__
    else:
        ours = None
    assert type(ours) is type(theirs)
    if theirs is not None:
        assert "cannot affect row a second time" in str(theirs)
        assert str(ours).splitlines()[0] == str(theirs).splitlines()[0]
    else:
        assert sorted(BulkPlain.objects.using(alias).values_list("code", "qty")) == expected


def django_error(call):
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("Django accepted it")


BAD_OPTIONS = [
    {"ignore_conflicts": True, "update_conflicts": True},
    {"update_conflicts": True},
    {"update_conflicts": True, "update_fields": ["qty"]},
    {"update_conflicts": True, "update_fields": ["qty"], "unique_fields": ["code"]},
    {"update_conflicts": True, "update_fields": ["id"], "unique_fields": ["code"]},
    {"update_conflicts": True, "update_fields": ["pk"], "unique_fields": ["code"]},
    {"update_conflicts": True, "update_fields": ["nope"], "unique_fields": ["code"]},
    {"update_conflicts": True, "update_fields": ["qty"], "unique_fields": ["nope"]},
]


@pytest.mark.parametrize("alias", ALIASES)
@pytest.mark.parametrize("options", BAD_OPTIONS)
def test_bad_conflict_options_raise_what_bulk_create_raises(alias, options):
    theirs = None
    try:
        with transaction.atomic(using=alias):
            BulkPlain.objects.using(alias).bulk_create([BulkPlain(code="x")], **options)
    except Exception as exc:
        theirs = exc
    if theirs is None:  # a valid combination on this database: ours must accept it too
        BulkInserter(BulkPlain, ["code"], using=alias, **options)
        return
    with pytest.raises(type(theirs)) as ours:
        BulkInserter(BulkPlain, ["code"], using=alias, **options)
    assert str(ours.value) == str(theirs)


@pytest.mark.parametrize("alias", ALIASES)
def test_non_concrete_update_or_unique_fields_raise_what_bulk_create_raises(alias):
    for options in (
        {"update_fields": ["bulkzoo"], **target(alias, ["name"])},
        {"update_fields": ["name"], "unique_fields": ["bulkzoo"]},
    ):
        theirs = django_error(
            lambda o=options: BulkAuthor.objects.using(alias).bulk_create(
                [BulkAuthor(name="x")], update_conflicts=True, **o
            )
        )
        with pytest.raises(type(theirs)) as ours:
            BulkInserter(BulkAuthor, ["name"], using=alias, update_conflicts=True, **options)
        assert str(ours.value) == str(theirs)


@pytest.mark.parametrize("alias", ALIASES)
def test_upsert_statements_cut_small_still_carry_the_conflict_clause(alias):
    # MariaDB cuts a batch into statements under max_allowed_packet; each needs the ON
    # DUPLICATE KEY tail (other databases ignore the limit)
    options = {"update_conflicts": True, "update_fields": ["qty"], **target(alias, ["code"])}
    BulkPlain.objects.using(alias).bulk_create([BulkPlain(code=f"c{i}") for i in range(0, 300, 2)])
    rows = [(f"c{i}", i) for i in range(300)]
    with BulkInserter(BulkPlain, ["code", "qty"], using=alias, **options) as ins:
        ins._max_statement_bytes = 600  # a few dozen rows per statement
        ins.add_many(rows)
    got = sorted(BulkPlain.objects.using(alias).values_list("code", "qty"))
    assert got == sorted(rows)

"""The step store's typed rows name every column of their tables, in the table's order: a column
added to a model without its field here fails, instead of a step reading rows it cannot build."""

from __future__ import annotations

from dataclasses import fields

import pytest

from webapp.persistence import step_store


@pytest.mark.parametrize("row_type", sorted(step_store.ROWS, key=lambda t: t.__name__))
def test_each_row_type_has_its_tables_columns_in_order(row_type):
    table = step_store.ROWS[row_type]
    columns = [column.name for column in table.columns]
    names = [field.name for field in fields(row_type)]
    if row_type is step_store.VersionRow:  # a version's identity only, not its stored files
        assert set(names) <= set(columns) and names[0] == "id"
    else:
        assert names == columns

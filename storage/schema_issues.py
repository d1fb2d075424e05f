"""Migration m015_issues (registered in `storage.migrations`): editions go out as
numbered issues. Kept here so the migrations module stays short; like every shipped
migration, never edit it."""

from __future__ import annotations

from sqlite_utils import Database


def create(db: Database) -> None:
    """The issues, their stories in running order, the running order editors set before
    an edition, a label on single posts, and the masthead of an issue as a delivery part
    (a delivery row without a story, so `deliveries.story_id` may now be NULL)."""
    db.execute(
        """
        CREATE TABLE issues (
            number INTEGER PRIMARY KEY,
            due_at TEXT NOT NULL UNIQUE,
            edition TEXT NOT NULL,
            dated TEXT NOT NULL,
            link_base TEXT,
            published_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE issue_stories (
            issue INTEGER NOT NULL REFERENCES issues(number),
            position INTEGER NOT NULL,
            story_id INTEGER NOT NULL UNIQUE REFERENCES stories(id),
            PRIMARY KEY (issue, position)
        )
        """
    )
    db.execute("CREATE TABLE running_order (story_id INTEGER PRIMARY KEY "
               "REFERENCES stories(id), position INTEGER NOT NULL)")
    db.execute("ALTER TABLE stories ADD COLUMN publish_label TEXT")
    db.execute("ALTER TABLE edition_runs ADD COLUMN issue INTEGER REFERENCES issues(number)")
    _rebuild(db, "deliveries", "story_id INTEGER NOT NULL REFERENCES stories(id),",
             "story_id INTEGER REFERENCES stories(id),")
    db.execute("ALTER TABLE deliveries ADD COLUMN issue_id INTEGER REFERENCES issues(number)")
    db.execute("CREATE UNIQUE INDEX idx_deliveries_masthead ON deliveries(issue_id, "
               "destination_id) WHERE story_id IS NULL")
    db.execute("CREATE INDEX idx_deliveries_issue ON deliveries(issue_id, destination_id, id) "
               "WHERE issue_id IS NOT NULL")


def _rebuild(db: Database, table: str, old: str, new: str) -> None:
    """Change a column SQLite cannot ALTER (here: drop a NOT NULL) by SQLite's documented
    copy-and-swap, inside the migration's transaction. Foreign keys are on and cannot be
    switched off in a transaction, so the rows of tables that reference `table` are set
    aside while it is swapped and put back after (the ids do not change)."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                     [table]).fetchone()[0]
    if old not in sql:
        raise RuntimeError(f"unexpected schema of {table}: {old!r} not found")
    indexes = [r[0] for r in db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                        "AND tbl_name = ? AND sql IS NOT NULL", [table])]
    children = [t for t in db.table_names()
                if any(fk.other_table == table for fk in db[t].foreign_keys)]
    for child in children:
        db.execute(f"CREATE TEMP TABLE aside_{child} AS SELECT * FROM {child}")
        db.execute(f"DELETE FROM {child}")
    swap = f"rebuilt_{table}"
    db.execute(sql.replace(old, new).replace(f"CREATE TABLE {table}", f"CREATE TABLE {swap}", 1))
    columns = ", ".join(f'"{c.name}"' for c in db[table].columns)
    db.execute(f"INSERT INTO {swap} ({columns}) SELECT {columns} FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {swap} RENAME TO {table}")
    for index in indexes:
        db.execute(index)
    for child in children:
        db.execute(f"INSERT INTO {child} SELECT * FROM temp.aside_{child}")
        db.execute(f"DROP TABLE temp.aside_{child}")

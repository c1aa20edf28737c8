/* store/migrations.c - the schema, one migration per version. */
#include "internal.h"

const char *const store_migrations[] = {
    /* 1: the audit log (SEC-2). Each record carries the BLAKE2b hash of the
     * one before and of itself; rows are never updated or deleted, which
     * the triggers enforce for every entry point that goes through SQL. */
    "CREATE TABLE audit_log ("
    "  seq INTEGER PRIMARY KEY,"
    "  time_ms INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  object TEXT NOT NULL,"
    "  details TEXT NOT NULL,"
    "  prev_hash BLOB NOT NULL,"
    "  hash BLOB NOT NULL);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log"
    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log"
    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
};

const int store_n_migrations = (int)(sizeof store_migrations / sizeof store_migrations[0]);

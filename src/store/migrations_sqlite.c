/* store/migrations_sqlite.c - the schema for SQLite, one migration per
 * version (migrations_pg.c has each in PostgreSQL's dialect). */
#include "internal.h"

const char *const store_migrations_sqlite[] = {
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

    /* 2: users (SEC-1) and deployments (DEP-1..10). */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  roles INTEGER NOT NULL,"
    "  rank INTEGER NOT NULL DEFAULT 0,"
    "  password_hash TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE deployments ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'draft',"
    "  fields TEXT NOT NULL DEFAULT '{}'," /* the DEP-4 record, JSON */
    "  created_by INTEGER NOT NULL REFERENCES users(id),"
    "  authorised_by INTEGER REFERENCES users(id),"
    "  authorised_ms INTEGER,"
    "  urgent INTEGER NOT NULL DEFAULT 0,"
    "  ratify_by_ms INTEGER,"
    "  ratified_by INTEGER REFERENCES users(id),"
    "  frozen_hash TEXT,"
    "  started_ms INTEGER,"
    "  ended_ms INTEGER,"
    "  end_reason TEXT,"
    "  reviewed_by INTEGER REFERENCES users(id),"
    "  reviewed_ms INTEGER);"
    "CREATE TABLE locations ("
    "  id INTEGER PRIMARY KEY,"
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  name TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  sensitive INTEGER NOT NULL DEFAULT 0,"
    "  sensitive_justification TEXT);",

    /* 3: watchlists (WL-1..8). The photo and template are encrypted with a
     * key kept outside the database; when the deployment ends they are
     * destroyed and only the nominal record stays (for subject access). */
    "CREATE TABLE watchlist_entries ("
    "  id INTEGER PRIMARY KEY,"
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  person_ref TEXT NOT NULL,"
    "  category TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  legal_basis TEXT NOT NULL,"
    "  photo_date TEXT NOT NULL,"
    "  extra_justification TEXT,"
    "  child INTEGER NOT NULL DEFAULT 0,"
    "  added_by INTEGER NOT NULL REFERENCES users(id),"
    "  added_ms INTEGER NOT NULL,"
    "  second_approved_by INTEGER REFERENCES users(id),"
    "  reviewed_by INTEGER REFERENCES users(id),"
    "  reviewed_ms INTEGER,"
    "  quality TEXT NOT NULL DEFAULT '{}',"
    "  flags TEXT NOT NULL DEFAULT '[]',"
    "  photo BLOB,"
    "  template BLOB,"
    "  destroyed_ms INTEGER);"
    "CREATE INDEX watchlist_by_deployment ON watchlist_entries(deployment_id);"
    "CREATE INDEX watchlist_by_person ON watchlist_entries(person_ref);",

    /* 4: alerts and their outcomes (HIL-1, HIL-2), kept for the retention
     * period (PRI-3) and then deleted by the system. The crop is encrypted
     * like watchlist photos (PRI-5). */
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY,"
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  entry_id INTEGER NOT NULL REFERENCES watchlist_entries(id),"
    "  camera TEXT NOT NULL,"
    "  time_ms INTEGER NOT NULL,"
    "  track_id INTEGER NOT NULL,"
    "  score REAL NOT NULL,"
    "  quality TEXT NOT NULL DEFAULT '{}',"
    "  crop BLOB,"
    "  status TEXT NOT NULL DEFAULT 'open'"
    "    CHECK (status IN ('open','no_match','engage','closed')),"
    "  decided_by INTEGER REFERENCES users(id),"
    "  decided_ms INTEGER);"
    "CREATE TABLE outcomes ("
    "  alert_id INTEGER PRIMARY KEY REFERENCES alerts(id) ON DELETE CASCADE,"
    "  recorded_by INTEGER NOT NULL REFERENCES users(id),"
    "  recorded_ms INTEGER NOT NULL,"
    "  identity_confirmed INTEGER NOT NULL,"
    "  action TEXT NOT NULL CHECK (action IN ('arrest','other_action','safeguarding',"
    "    'words_of_advice','no_further_action','person_not_found')),"
    "  engagement_seconds INTEGER NOT NULL,"
    "  recorded_group TEXT);"
    "CREATE INDEX alerts_by_time ON alerts(time_ms);",

    /* 5: what the server needs to run deployments and what the published
     * figures (PUB-3, PUB-4, PUB-6) are computed from. A deployment's cameras
     * are part of its application. Counts are aggregates of the pipelines.
     * alert_facts keeps one anonymous row per alert (no face, no entry, no
     * person) that outlives the alert's deletion at the end of retention, so
     * the published figures do not change when the data behind them goes. */
    "CREATE TABLE cameras ("
    "  id INTEGER PRIMARY KEY,"
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  name TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  location TEXT NOT NULL DEFAULT '',"
    "  UNIQUE (deployment_id, name));"
    "CREATE TABLE camera_counts ("
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  camera TEXT NOT NULL,"
    "  frames INTEGER NOT NULL DEFAULT 0,"
    "  faces INTEGER NOT NULL DEFAULT 0,"    /* faces seen: one per track */
    "  compared INTEGER NOT NULL DEFAULT 0," /* templates compared with the watchlist */
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (deployment_id, camera));"
    "CREATE TABLE alert_facts ("
    "  alert_id INTEGER PRIMARY KEY,"
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  camera TEXT NOT NULL,"
    "  time_ms INTEGER NOT NULL,"
    "  category TEXT NOT NULL,"
    "  score REAL NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'open',"
    "  identity_confirmed INTEGER,"
    "  action TEXT,"
    "  engagement_seconds INTEGER,"
    "  recorded_group TEXT);"
    "INSERT INTO alert_facts SELECT a.id, a.deployment_id, a.camera, a.time_ms, w.category, "
    "  a.score, a.status, o.identity_confirmed, o.action, o.engagement_seconds, o.recorded_group "
    "  FROM alerts a JOIN watchlist_entries w ON w.id = a.entry_id "
    "  LEFT JOIN outcomes o ON o.alert_id = a.id;"
    "CREATE INDEX alert_facts_by_deployment ON alert_facts(deployment_id);"
    "CREATE TRIGGER alert_facts_new AFTER INSERT ON alerts BEGIN"
    "  INSERT INTO alert_facts (alert_id, deployment_id, camera, time_ms, category, score, status)"
    "  SELECT NEW.id, NEW.deployment_id, NEW.camera, NEW.time_ms, w.category, NEW.score, NEW.status"
    "  FROM watchlist_entries w WHERE w.id = NEW.entry_id; END;"
    "CREATE TRIGGER alert_facts_status AFTER UPDATE OF status ON alerts BEGIN"
    "  UPDATE alert_facts SET status = NEW.status WHERE alert_id = NEW.id; END;"
    "CREATE TRIGGER alert_facts_outcome AFTER INSERT ON outcomes BEGIN"
    "  UPDATE alert_facts SET identity_confirmed = NEW.identity_confirmed, action = NEW.action,"
    "  engagement_seconds = NEW.engagement_seconds, recorded_group = NEW.recorded_group"
    "  WHERE alert_id = NEW.alert_id; END;",

    /* 6: the embedders a deployment's pipelines ran with: the model version
     * its published record names (PUB-3). */
    "CREATE TABLE deployment_models ("
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  model TEXT NOT NULL,"
    "  first_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (deployment_id, model));",

    /* 7: a password that must be changed at the next login (the first
     * administrator's one-time password). */
    "ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;",

    /* 8: walk tests (ACC-3). Consenting staff on a deployment's blue list
     * walk past its cameras before it goes live. The blue list is kept
     * apart from the watchlist: it is never searched live, never alerts an
     * engagement officer, never counts in published figures, and its
     * templates go with the deployment. A walk test's hits keep no face. */
    "CREATE TABLE blue_entries ("
    "  id INTEGER PRIMARY KEY,"
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  staff_ref TEXT NOT NULL,"
    "  consent_ref TEXT NOT NULL,"
    "  added_by INTEGER NOT NULL REFERENCES users(id),"
    "  added_ms INTEGER NOT NULL,"
    "  template BLOB,"
    "  destroyed_ms INTEGER);"
    "CREATE TABLE walk_tests ("
    "  id INTEGER PRIMARY KEY,"
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  started_by INTEGER NOT NULL REFERENCES users(id),"
    "  started_ms INTEGER NOT NULL,"
    "  ended_ms INTEGER,"
    "  threshold REAL NOT NULL);"
    "CREATE TABLE walk_passes ("
    "  id INTEGER PRIMARY KEY,"
    "  walk_test_id INTEGER NOT NULL REFERENCES walk_tests(id),"
    "  entry_id INTEGER NOT NULL REFERENCES blue_entries(id),"
    "  camera TEXT,"
    "  started_ms INTEGER NOT NULL);"
    "CREATE TABLE walk_hits ("
    "  id INTEGER PRIMARY KEY,"
    "  walk_test_id INTEGER NOT NULL REFERENCES walk_tests(id),"
    "  entry_id INTEGER NOT NULL REFERENCES blue_entries(id),"
    "  camera TEXT NOT NULL,"
    "  time_ms INTEGER NOT NULL,"
    "  score REAL NOT NULL);",

    /* 9: settings a force decides, each set by a named user with its
     * evidence and audited (the threshold floor, DEP-6 and ACC-1). */
    "CREATE TABLE settings ("
    "  name TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL,"
    "  evidence TEXT NOT NULL,"
    "  set_by INTEGER NOT NULL REFERENCES users(id),"
    "  set_ms INTEGER NOT NULL);",

    /* 10: how a camera's last run ended (the monitor says why it stopped,
     * issue 15): frames it dropped, its last state and the reason. */
    "ALTER TABLE camera_counts ADD COLUMN dropped INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE camera_counts ADD COLUMN last_state TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE camera_counts ADD COLUMN last_message TEXT NOT NULL DEFAULT '';",

    /* 11: evidence holds (issue 15 item 3). An alert needed for proceedings
     * is held by a named officer, for a reason and a case reference, until
     * a date; retention passes it by while it is held (PRI-3). The
     * watchlist photo is sealed again into the hold, so that it outlives
     * the watchlist's destruction at the deployment's end (WL-8); a release
     * or lapse destroys that copy. The rows stay as the record of each hold,
     * after the alert itself is gone: no foreign key to it. */
    "CREATE TABLE evidence_holds ("
    "  id INTEGER PRIMARY KEY,"
    "  alert_id INTEGER NOT NULL,"
    "  held_by INTEGER NOT NULL REFERENCES users(id),"
    "  held_ms INTEGER NOT NULL,"
    "  until_ms INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  reference TEXT NOT NULL,"
    "  photo BLOB,"
    "  released_by INTEGER REFERENCES users(id),"
    "  released_ms INTEGER,"
    "  release_reason TEXT);"
    "CREATE UNIQUE INDEX evidence_holds_open ON evidence_holds(alert_id) "
    "  WHERE released_ms IS NULL;",

    /* 12: an entry struck off its list, told apart from one destroyed with
     * the whole list at the end (both have destroyed_ms): a copy of the
     * list for a later deployment leaves the struck ones out (issue 15
     * item 6). Earlier removals are known from the audit log. */
    "ALTER TABLE watchlist_entries ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;"
    "UPDATE watchlist_entries SET removed = 1 WHERE id IN (SELECT CAST(substr(object, 17) AS "
    "  INTEGER) FROM audit_log WHERE action = 'watchlist.remove' AND object LIKE "
    "  'watchlist\\_entry/%' ESCAPE '\\');",

    /* 13: several servers on one database (issue 17 item 2). A live
     * deployment's cameras run on the one server that holds its lease,
     * renewed every tick; a lease past its time (its server died) is taken
     * over by another. */
    "CREATE TABLE runner_leases ("
    "  deployment_id INTEGER PRIMARY KEY REFERENCES deployments(id),"
    "  holder TEXT NOT NULL,"
    "  since_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL);",

    /* 14: login sessions and log-in throttles, in the database so that
     * every server behind a load balancer knows them (issue 17 item 2). A
     * session is kept by the SHA-256 of its token (hex): the database never
     * holds a token that would open one. */
    "CREATE TABLE sessions ("
    "  token_hash TEXT PRIMARY KEY,"
    "  csrf TEXT NOT NULL,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  created_ms INTEGER NOT NULL,"
    "  seen_ms INTEGER NOT NULL);"
    "CREATE INDEX sessions_by_user ON sessions(user_id);"
    "CREATE TABLE login_throttles ("
    "  key TEXT PRIMARY KEY," /* "NAME ADDRESS", or " ADDRESS" for the address alone */
    "  failures INTEGER NOT NULL,"
    "  locked_until_ms INTEGER NOT NULL,"
    "  last_ms INTEGER NOT NULL);",

    /* 15: edge nodes (issue 17 item 3). A node enrols with its own keys and
     * runs nothing until an administrator approves it; a deployment names
     * the node that runs its cameras and how long that node may go on
     * without word from the centre. An alert raised on a node carries the
     * node's id for it (origin), so a resend is the same alert. */
    "CREATE TABLE nodes ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  sign_pk BLOB NOT NULL UNIQUE,"
    "  box_pk BLOB NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','approved','revoked')),"
    "  enrolled_ms INTEGER NOT NULL,"
    "  decided_by INTEGER REFERENCES users(id),"
    "  decided_ms INTEGER,"
    "  seen_ms INTEGER,"
    "  refused_ms INTEGER);"
    "ALTER TABLE deployments ADD COLUMN node_id INTEGER REFERENCES nodes(id);"
    "ALTER TABLE deployments ADD COLUMN node_offline_s INTEGER NOT NULL DEFAULT 600;"
    "ALTER TABLE alerts ADD COLUMN origin TEXT;"
    "CREATE UNIQUE INDEX alerts_by_origin ON alerts(origin);"
    /* A node's counts are totals per run of its pipeline (a random id):
     * the centre adds what a total adds to the last one it took, so a
     * batch sent twice (its answer lost, or replayed) counts once. */
    "CREATE TABLE node_counts ("
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id),"
    "  camera TEXT NOT NULL,"
    "  run TEXT NOT NULL,"
    "  frames INTEGER NOT NULL,"
    "  faces INTEGER NOT NULL,"
    "  compared INTEGER NOT NULL,"
    "  PRIMARY KEY (deployment_id, camera, run));"
    /* A node enrols with a one-time code an administrator issued for its
     * name: the enrolment is not open to whoever reaches the server. The
     * code is kept as its SHA-256 only. */
    "CREATE TABLE node_codes ("
    "  name TEXT PRIMARY KEY,"
    "  code_hash TEXT NOT NULL,"
    "  issued_by INTEGER NOT NULL REFERENCES users(id),"
    "  expires_ms INTEGER NOT NULL);",
};

_Static_assert(sizeof store_migrations_sqlite / sizeof store_migrations_sqlite[0] ==
                   STORE_N_MIGRATIONS,
               "each migration in both dialects");

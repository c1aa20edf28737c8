/* store/internal.h - private to the store module: the schema migrations. */
#ifndef LFR_STORE_INTERNAL_H
#define LFR_STORE_INTERNAL_H

/* Migration i (from 1) brings the schema from version i-1 to i. Append
 * only: a released migration is never edited. */
extern const char *const store_migrations[];
extern const int store_n_migrations;

#endif

/*
** privacy.h — the heat feature's part of the personal-data export and of
** the deletion of an account (core/privacy.h), and the retention of the
** contact requests: requests closed (réalisé, abandonné, non réalisable)
** for heat_retention_months lose the person's data, as a deleted account's
** requests do (heat_request_pseudonymise).
*/
#ifndef GUICHET_HEAT_PRIVACY_H
#define GUICHET_HEAT_PRIVACY_H

#include <stdint.h>

#include "core/feature.h"

/* Months after its last action that a closed request keeps the person's
** data; 0: forever (feature.c's config table; README). */
#define HEAT_CONF_RETENTION_MONTHS "heat_retention_months"

int heat_export_user(int64_t uid, json_t *out, privacy_zip *zip);
void heat_erase_plan(int64_t uid, privacy_erasure *e);
int heat_erase_user(int64_t uid, privacy_erasure *e);

/* Erases the person from request id, inside the caller's write
** transaction: names, e-mail, phone and comment emptied, the address
** reduced to its commune and the point rounded to 0.001° (about 100 m), the
** comments and texts of its history emptied. The request, its statuses and
** dates stay for the operator and the statistics; an empty e-mail marks it
** (nothing is sent to it any more). 0, or -1 on a database error. */
int heat_request_pseudonymise(int64_t id);

/* Registers the daily job "heat.retention". */
void heat_privacy_init(void);

#endif

/*
** privacy.h — the aid feature's part of the personal-data export and of
** the deletion of an account (core/privacy.h): labels, equipment, aid
** requests with their history, documents and messages, charging-data
** imports, and messages sent through the contact form.
*/
#ifndef GUICHET_AID_PRIVACY_H
#define GUICHET_AID_PRIVACY_H

#include <stdint.h>

#include "core/feature.h"

/* What an aid request's contact becomes when its person deletes the account. */
#define AID_CONTACT_ERASED "Contact effacé (compte supprimé)"

int aid_export_user(int64_t uid, json_t *out, privacy_zip *zip);
void aid_erase_plan(int64_t uid, privacy_erasure *e);
int aid_erase_user(int64_t uid, privacy_erasure *e);

#endif

/*
** siret.h — French company identifiers.
*/
#ifndef GUICHET_SIRET_H
#define GUICHET_SIRET_H

/* 1 if z is a valid SIRET: exactly 14 digits (spaces allowed between groups
** and ignored) passing the Luhn check, with La Poste's exception (SIREN
** 356000000: the sum of the digits is a multiple of 5). Else 0. */
int siret_valid(const char *z);

/* Copies the 14 digits of z without spaces into out; 0, or -1 if not 14
** digits. Does not check Luhn. */
int siret_normalize(const char *z, char out[15]);

#endif

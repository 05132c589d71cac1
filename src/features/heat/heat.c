/*
** heat.c — the eligibility cascade and the pipeline labels (heat.h).
** Pure: no database, no geo core, no allocation; the feature's init sets
** heat_default_thresholds from configuration.
*/
#include <stddef.h>
#include <string.h>

#include "core/i18n.h"
#include "features/heat/heat.h"

heat_thresholds heat_default_thresholds = {
    .very_close_m = HEAT_VERY_CLOSE_M,
    .close_m = HEAT_CLOSE_M,
    .far_m = HEAT_FAR_M,
};

heat_thresholds heat_thresholds_for(double very_close_m, double close_m) {
  heat_thresholds t = heat_default_thresholds;
  if (very_close_m > 0) t.very_close_m = very_close_m;
  if (close_m > 0) t.close_m = close_m;
  if (t.close_m < t.very_close_m) t.close_m = t.very_close_m; /* the admin form refuses it; old rows stay sane */
  if (t.far_m < t.close_m) t.far_m = t.close_m;
  return t;
}

heat_level heat_cascade(const heat_situation *s) {
  if (s->outside) return HEAT_OUTSIDE;
  if (s->in_zone) return HEAT_IN_ZONE;
  if (s->has_network) {
    if (s->dist_m <= s->thr.very_close_m) return HEAT_VERY_CLOSE;
    if (s->dist_m <= s->thr.close_m) return HEAT_CLOSE;
    if (s->dist_m <= s->thr.far_m) return HEAT_FAR;
    if (s->network_in_commune) return HEAT_IN_COMMUNE;
  }
  return HEAT_NONE;
}

int heat_level_eligible(heat_level l) {
  return l == HEAT_IN_ZONE || l == HEAT_VERY_CLOSE || l == HEAT_CLOSE;
}

static const struct {
  const char *code;   /* API value */
  const char *label;  /* French, for pages */
} levels[] = {
    [HEAT_OUTSIDE] = {"hors_territoire", N_("Cette adresse est en dehors du territoire couvert par ce service.")},
    [HEAT_IN_ZONE] = {"dans_zone_prioritaire",
                      N_("Cette adresse est dans une zone de développement prioritaire du réseau : le raccordement y est "
                         "en principe obligatoire pour les bâtiments neufs ou rénovés et généralement possible.")},
    [HEAT_VERY_CLOSE] = {"tres_proche", N_("Un réseau de chaleur passe très près de cette adresse : le raccordement est "
                                           "probablement possible.")},
    [HEAT_CLOSE] = {"proche", N_("Un réseau de chaleur passe à proximité de cette adresse : le raccordement est "
                                 "envisageable.")},
    [HEAT_FAR] = {"loin", N_("Un réseau de chaleur existe à moins d’un kilomètre, mais il est trop loin pour un "
                             "raccordement simple aujourd’hui.")},
    [HEAT_IN_COMMUNE] = {"dans_commune", N_("Un réseau de chaleur existe dans votre commune, mais loin de cette "
                                            "adresse.")},
    [HEAT_NONE] = {"aucun", N_("Aucun réseau de chaleur ouvert aux raccordements n’est connu près de cette adresse.")},
};

const char *heat_level_code(heat_level l) {
  return (unsigned)l < sizeof levels / sizeof levels[0] ? levels[l].code : "aucun";
}

const char *heat_level_label(heat_level l) {
  return _((unsigned)l < sizeof levels / sizeof levels[0] ? levels[l].label : levels[HEAT_NONE].label);
}

/* The pipeline of a contact request, in the order an operator moves it
** (FCU's DemandSatus, with "en attente de prise en charge"). */
const heat_status heat_statuses[] = {
    {"a_traiter", N_("À traiter")},
    {"attente", N_("En attente de prise en charge")},
    {"non_realisable", N_("Non réalisable")},
    {"prise_en_charge", N_("En cours de prise en charge")},
    {"etude", N_("Étude en cours")},
    {"vote_ag", N_("Votée en AG")},
    {"travaux", N_("Travaux en cours")},
    {"realise", N_("Réalisé")},
    {"abandonne", N_("Abandonné")},
};
const int heat_nstatuses = (int)(sizeof heat_statuses / sizeof heat_statuses[0]);

const char *heat_status_label(const char *code) {
  for (int i = 0; i < heat_nstatuses; i++)
    if (code && !strcmp(heat_statuses[i].code, code)) return _(heat_statuses[i].label);
  return NULL;
}

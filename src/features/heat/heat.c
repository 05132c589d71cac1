/*
** heat.c — the eligibility cascade, the pipeline labels and the cost and
** CO2 comparison (heat.h). Pure: no database, no geo core, no allocation;
** the feature's init sets heat_default_thresholds from configuration.
*/
#include <math.h>
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

/* ------------------------------------------------------- cost and CO2 */

static const struct {
  const char *code;   /* heat_cost_params.mode */
  const char *label;  /* French */
} modes[HEAT_NMODES] = {
    [HEAT_MODE_NETWORK] = {"reseau", N_("Réseau de chaleur")},
    [HEAT_MODE_GAS] = {"gaz", N_("Chaudière au gaz")},
    [HEAT_MODE_OIL] = {"fioul", N_("Chaudière au fioul")},
    [HEAT_MODE_HEAT_PUMP] = {"pac", N_("Pompe à chaleur air/eau")},
    [HEAT_MODE_WOOD] = {"bois", N_("Chaudière à granulés de bois")},
};

const char *heat_mode_code(heat_mode m) { return (unsigned)m < HEAT_NMODES ? modes[m].code : ""; }
const char *heat_mode_label(heat_mode m) { return (unsigned)m < HEAT_NMODES ? _(modes[m].label) : ""; }

int heat_mode_of(const char *code) {
  for (int i = 0; i < HEAT_NMODES; i++)
    if (code && !strcmp(code, modes[i].code)) return i;
  return -1;
}

const heat_cost_param *heat_param_pick(const heat_cost_param *rows, int n, heat_mode mode, const char *day) {
  const heat_cost_param *best = NULL;
  for (int i = 0; i < n; i++) {
    if (rows[i].mode != mode || strcmp(rows[i].valid_from, day) > 0) continue;
    if (!best || strcmp(rows[i].valid_from, best->valid_from) >= 0) best = &rows[i];
  }
  return best;
}

heat_cost heat_cost_of(int64_t need_kwh, const heat_cost_param *p, double co2_g_kwh) {
  heat_cost c = {0, 0, 0};
  if (need_kwh <= 0 || p->efficiency_bp <= 0) return c;
  double final_kwh = (double)need_kwh * 10000.0 / (double)p->efficiency_bp;
  double factor = co2_g_kwh >= 0 ? co2_g_kwh : (double)p->co2_g_kwh;
  c.final_kwh = llround(final_kwh);
  c.cost_cents = llround(final_kwh * (double)p->price_cents_mwh / 1000.0);
  c.co2_kg = llround(final_kwh * factor / 1000.0);
  return c;
}

/* Heating needs of average existing buildings: orders of magnitude (the
** national stock's heating consumption is 100 to 150 kWh/m² a year), used
** only when the visitor gives a surface instead of a consumption. */
static const struct {
  const char *code;   /* form value */
  const char *label;  /* French */
  int64_t kwh_m2;     /* yearly heating need, kWh per m² */
} buildings[HEAT_NBUILDINGS] = {
    [HEAT_BUILDING_HOUSE] = {"maison", N_("Maison individuelle"), 120},
    [HEAT_BUILDING_FLATS] = {"collectif", N_("Immeuble de logements"), 100},
    [HEAT_BUILDING_TERTIARY] = {"tertiaire", N_("Bâtiment tertiaire (bureaux, école, commerce)"), 100},
};

const char *heat_building_code(heat_building b) { return (unsigned)b < HEAT_NBUILDINGS ? buildings[b].code : ""; }
const char *heat_building_label(heat_building b) {
  return (unsigned)b < HEAT_NBUILDINGS ? _(buildings[b].label) : "";
}

int heat_building_of(const char *code) {
  for (int i = 0; i < HEAT_NBUILDINGS; i++)
    if (code && !strcmp(code, buildings[i].code)) return i;
  return -1;
}

int64_t heat_building_kwh_m2(heat_building b) { return (unsigned)b < HEAT_NBUILDINGS ? buildings[b].kwh_m2 : 0; }

int64_t heat_need_from_surface(heat_building b, int64_t surface_m2) {
  return surface_m2 > 0 ? surface_m2 * heat_building_kwh_m2(b) : 0;
}

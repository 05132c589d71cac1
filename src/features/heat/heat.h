/*
** heat.h — the heat-network service's public interface: the eligibility
** cascade of France Chaleur Urbaine, as a pure function of what the
** geographic queries found, and the labels every page and the API share.
**
** heat_cascade touches neither the database nor the geo core, so that the
** rules can be tested at every threshold (tests/unit/test_heat_cascade.c)
** and read in one place. The queries that fill a heat_situation are in
** eligibility.c.
*/
#ifndef GUICHET_HEAT_H
#define GUICHET_HEAT_H

/* Answers of the cascade, in the order the cascade tries them. */
typedef enum heat_level {
  HEAT_OUTSIDE = 0,    /* the point is outside the territory (no commune covers it) */
  HEAT_IN_ZONE,        /* inside a priority development zone (PDP) */
  HEAT_VERY_CLOSE,     /* an open network within the "very close" threshold */
  HEAT_CLOSE,          /* an open network within the "close" threshold */
  HEAT_FAR,            /* an open network within the "far" threshold */
  HEAT_IN_COMMUNE,     /* an open network in the same commune, farther away */
  HEAT_NONE,           /* nothing nearby */
} heat_level;

/* Distances in metres deciding the levels. Defaults: heat_default_thresholds
** (configuration keys heat_threshold_*_m); a network may override
** very_close_m and close_m (FCU does so for Paris). */
typedef struct heat_thresholds {
  double very_close_m;  /* ≤ this: "très proche" (default 100) */
  double close_m;       /* ≤ this: "proche" (default 200) */
  double far_m;         /* ≤ this: "loin" (default 1,000) */
} heat_thresholds;

/* What the geographic queries found for one point. */
typedef struct heat_situation {
  int outside;            /* 1: the communes layer is loaded and none covers the point */
  int in_zone;            /* 1: a priority zone covers the point */
  int has_network;        /* 1: an open network was found (dist_m is set) */
  double dist_m;          /* straight-line distance to it, metres (≥ 0) */
  int network_in_commune; /* 1: that network runs in the point's commune */
  heat_thresholds thr;    /* thresholds of that network (defaults merged with its overrides) */
} heat_situation;

/* FCU's values (src/services/eligibility.ts): 100 m "très proche", 200 m
** "proche"; 1,000 m is where FCU stops showing a distance ("loin"). They are
** the defaults of the configuration keys heat_threshold_very_close_m,
** heat_threshold_close_m and heat_threshold_far_m. */
#define HEAT_VERY_CLOSE_M 100
#define HEAT_CLOSE_M 200
#define HEAT_FAR_M 1000

/* The default thresholds: FCU's values until the feature's init sets them
** from configuration (once, before any thread reads them). */
extern heat_thresholds heat_default_thresholds;

/* The defaults with a network's overrides (a value ≤ 0 means "no override"). */
heat_thresholds heat_thresholds_for(double very_close_m, double close_m);

/* The first level that applies, in FCU's order: outside, zone, very close,
** close, far, same commune, none. A distance equal to a threshold is
** within it. */
heat_level heat_cascade(const heat_situation *s);

/* 1 for the levels where a connection is likely (zone, very close, close). */
int heat_level_eligible(heat_level l);
/* Stable code for the API ("tres_proche"…) and French label for pages. */
const char *heat_level_code(heat_level l);
const char *heat_level_label(heat_level l);

/* The request pipeline: code stored in heat_requests.status, French label.
** heat_status_label returns NULL for an unknown code. */
typedef struct heat_status {
  const char *code;   /* "a_traiter" */
  const char *label;  /* "À traiter" */
} heat_status;
extern const heat_status heat_statuses[];
extern const int heat_nstatuses;
const char *heat_status_label(const char *code);

#endif

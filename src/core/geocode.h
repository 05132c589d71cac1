/*
** geocode.h — the address reference layer and its geocoder.
**
** Addresses come from BAN files loaded by `guichet import addresses FILE`
** (three formats, below). The geocoder answers three questions:
**   geocode_search   "12 av jean jaures bondy" → the address, or suggestions
**                    when nothing matches as typed;
**   geocode_suggest  autocomplete while the user types (the last word is a
**                    prefix); a few results, in a few milliseconds;
**   geocode_reverse  a point picked on the map → the nearest address.
** Text is compared after geocode_normalize (case, accents, punctuation,
** abbreviations, house-number suffixes), at index and at query time alike.
**
** Storage is SQLite-specific (an FTS5 index and an R*Tree, both over
** streets: migration core/004_addresses.sql). This header is the interface
** behind which a PostgreSQL backend would go (pg_trgm or tsvector for the
** text, a GiST index for the points); nothing outside geocode.c names those
** tables.
**
** Memory: results are copied into arrays the caller owns (fixed-size text
** fields, truncated on a UTF-8 boundary); nothing is allocated for the
** caller. Every function uses the calling thread's database connection and
** may be called from any thread.
*/
#ifndef GUICHET_GEOCODE_H
#define GUICHET_GEOCODE_H

#include <stdint.h>

#include "core/util.h"

/* Return codes of the search functions. */
enum {
  GEOCODE_BADQUERY = -2,    /* query longer than GEOCODE_QUERY_MAX bytes */
  GEOCODE_ERROR = -1,       /* database error (logged) */
  GEOCODE_FOUND = 0,        /* the hits answer the query */
  GEOCODE_SUGGESTIONS = 1,  /* nothing matched as typed: the hits are close matches */
  GEOCODE_NOTHING = 2,      /* nothing matched, and no suggestion either */
};

#define GEOCODE_QUERY_MAX 200       /* bytes: no real address is longer */
#define GEOCODE_REVERSE_MAX_M 10000 /* geocode_reverse looks no further (metres) */

typedef struct geocode_hit {
  char label[256];      /* "12 bis Rue de la République 93140 Bondy" */
  int64_t id;           /* address id; 0 for a street-level hit (no number) */
  int64_t street_id;    /* the street it belongs to */
  int numero;           /* house number; 0 for a street-level hit */
  char rep[16];         /* suffix in lower case: "bis", "ter", "a"…; "" if none */
  char voie[160];       /* street name as published: "Rue de la République" */
  char code_postal[8];  /* "93140"; "" if the file gave none */
  char code_insee[8];   /* "93010"; "" if the file gave none */
  char commune[96];     /* "Bondy" */
  char ban_id[48];      /* identifier in the source file; "" for a street */
  double lon, lat;      /* WGS84; a street-level hit is placed at the centroid
                        ** of its numbers */
  double x, y;          /* projected metres: Lambert-93 in metropolitan France
                        ** (computed from lon/lat when the file had none), the
                        ** file's local projection overseas; 0, 0 if unknown */
  double score;         /* 0..1, higher is better: how well it answers */
  double distance_m;    /* geocode_reverse: metres from the point; else 0 */
} geocode_hit;

/* Appends to out the normalised form of the UTF-8 text z: words of [a-z0-9]
** separated by single spaces. Lower case, accents and ligatures folded
** (é→e, ç→c, œ→oe, æ→ae, ß→ss), punctuation, apostrophes and letters of
** non-Latin scripts turned into breaks, abbreviations expanded ("av" →
** "avenue", "bd" → "boulevard", "st" → "saint"…), and a leading house
** number split from its suffix, written in full ("12bis", "12 b" → "12 bis";
** "12t" → "12 ter"). Bytes that are not valid UTF-8 are read as Latin-1. If
** out already holds text, a space separates it. Never fails. */
void geocode_normalize(buf *out, const char *z);

/* Address search. query is free text, or a point "lat, lon" with decimals
** (then this is geocode_reverse). Up to limit hits (20 at most; out must
** hold limit) are written to out, best first, and their number to *n. A leading house number ("12", "12 bis") is
** looked for on the matched streets: GEOCODE_FOUND only when that number
** (and suffix) exists; otherwise GEOCODE_SUGGESTIONS with its nearest
** neighbours. A query whose words match nothing gives GEOCODE_SUGGESTIONS
** (misspelt words corrected, or fewer words) or GEOCODE_NOTHING. */
int geocode_search(const char *query, int limit, geocode_hit *out, int *n);

/* Autocomplete: as geocode_search, but the last word may be unfinished
** ("rue de la rép") unless the query ends with a space, hits without the
** asked house number are the streets themselves, and fewer candidates are
** weighed. Meant for every keystroke. */
int geocode_suggest(const char *query, int limit, geocode_hit *out, int *n);

/* The address nearest to (lon, lat), within GEOCODE_REVERSE_MAX_M.
** GEOCODE_FOUND (out->distance_m set), GEOCODE_NOTHING or GEOCODE_ERROR. */
int geocode_reverse(double lon, double lat, geocode_hit *out);

/* The address with this id: GEOCODE_FOUND, GEOCODE_NOTHING or GEOCODE_ERROR. */
int geocode_get(int64_t id, geocode_hit *out);

/* 1 and the point if z is two decimal numbers ("46.1591, -1.1517"): read as
** "lat, lon" unless only "lon, lat" fits France or valid ranges. Else 0. */
int geocode_parse_point(const char *z, double *lon, double *lat);

/* Appends the sentence a user reads for an answer without a match, in
** French: "Aucune adresse trouvée pour « … ». Vouliez-vous dire : … ?"
** Plain text: the caller escapes it for its context. Appends nothing for
** GEOCODE_FOUND. */
void geocode_explain(buf *out, int rc, const char *query, const geocode_hit *hits, int n);

/* Number of addresses loaded (0: the import has not been run). */
int64_t geocode_count(void);

/* ---- Import ------------------------------------------------------------ */

typedef enum geocode_format {
  GEOCODE_FMT_AUTO = 0, /* detect from the first line */
  GEOCODE_FMT_BAN,      /* national BAN adresses-XX.csv: ';', header, no quotes */
  GEOCODE_FMT_BONDY,    /* BAN columns re-saved by R: ',', quoted, index column, "NA" */
  GEOCODE_FMT_BANO,     /* BANO: ',', no header: id,numero,voie,cp,commune,source,lat,lon */
} geocode_format;

typedef struct geocode_import_stats {
  geocode_format format; /* the format read (detected or given) */
  int gzip;              /* the file was gzip-compressed */
  int64_t lines;         /* data lines read, header excluded */
  int64_t imported;      /* addresses stored */
  int64_t rejected;      /* lines refused (each reported to on_reject) */
  int64_t communes;      /* communes whose addresses were replaced */
  int64_t streets;       /* streets in the whole index afterwards */
  double seconds;        /* wall time, index rebuild included */
  char error[256];       /* why the import stopped, in French; "" if it did not */
} geocode_import_stats;

/* Called for each refused line: its number in the file (the first line is 1;
** a quoted field spanning lines counts once) and
** the reason in French ("coordonnées hors limites (lon 200, lat 46.1)"). */
typedef void geocode_reject_fn(void *ctx, int64_t line, const char *reason);

/* Streams path (plain or .gz, read with zlib) into the address tables in
** transactions of GEOCODE_IMPORT_BATCH lines, then rebuilds the search
** index. The addresses of every commune present in the file replace those
** already loaded for it (re-importing a file is idempotent). Lines with bad
** coordinates or missing fields are refused, not fatal. Returns 0, or -1
** with st->error set (unreadable file, unknown format, database error: the
** batches already committed stay, and are indexed). Must be called outside
** a transaction. on_reject may be NULL. */
#define GEOCODE_IMPORT_BATCH 10000
int geocode_import_file(const char *path, geocode_format fmt, geocode_reject_fn *on_reject,
                        void *ctx, geocode_import_stats *st);

/* `guichet import addresses FILE [--format ban|bondy|bano]`: argv holds the
** words after "import" (argv[0] == "addresses"). The database must be open
** and migrated. Prints the counts and the first refused lines in French on
** stdout; returns the process exit code (0 done, 1 failed, 2 usage). */
int geocode_cli_import(int argc, char **argv);

#endif

/*
** main.c — the `guichet` command:
**   guichet serve                 migrate, seed an empty database, serve HTTP
**   guichet migrate               apply pending migrations
**   guichet user add EMAIL [--role R]... [--password P]
**   guichet token add EMAIL [NAME]  API token for an account (printed once)
**   guichet backup [--keep N]     consistent online copy into data_dir/backups
**   guichet verify-audit          check the audit chain; exit 1 on a problem
**   guichet worker [--once]       run background jobs without serving HTTP
**   guichet import geojson|csv …  load a geographic layer (core/geo.c)
**   guichet import addresses FILE  load a BAN/BANO address file (core/geocode.c)
** Configuration: guichet.conf and GUICHET_* variables (core/config.c).
*/
#include <dirent.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/config.h"
#include "core/db.h"
#include "core/feature.h"
#include "core/geo.h"
#include "core/geocode.h"
#include "core/http.h"
#include "core/i18n.h"
#include "core/jobs.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/password.h"

static void usage(void) {
  fprintf(stderr,
          "usage: guichet serve | migrate | worker [--once] | backup [--keep N] | verify-audit\n"
          "       guichet user add EMAIL [--role ROLE]... [--password PASSWORD]\n"
          "       guichet token add EMAIL [NAME]\n"
          "       guichet import geojson LAYER FILE [--epsg N] [--id PROP] [--replace]\n"
          "       guichet import csv LAYER FILE (--lon COL --lat COL | --wkt COL) [--epsg N] [--replace]\n"
          "       guichet import addresses FILE[.gz] [--format ban|bondy|bano]\n");
  exit(2);
}

/* Opens the database under data_dir and applies migrations. */
static int open_db(void) {
  const char *dir = config_str("data_dir");
  mkdir(dir, 0700);
  char path[600];
  const char *db = config_str("db");
  if (*db) snprintf(path, sizeof path, "%s", db);
  else snprintf(path, sizeof path, "%s/guichet.db", dir);
  if (db_open(path) != 0) return -1;
  int n = db_migrate();
  if (n < 0) return -1;
  if (n > 0) log_info("db", "%d migration(s) applied to %s", n, path);
  return 0;
}

static void random_password(char out[21]) {
  static const char alpha[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  for (int i = 0; i < 16; i++) out[i] = alpha[randombytes_uniform(sizeof alpha - 1)];
  memcpy(out + 16, "-7a!", 5); /* every character class, whatever was drawn */
}

/* Demo accounts for an empty database; passwords are printed once. */
static void seed(void) {
  if (!config_int("seed") || db_get_int(0, "SELECT count(*) FROM users", "") > 0) return;
  static const struct {
    const char *email, *roles, *label;
  } demo[] = {
      {"admin@guichet.localhost", "superadmin", "super-administrateur"},
      {"instructeur@guichet.localhost", "instructor", "instructeur"},
      {"entreprise@guichet.localhost", "applicant,installer", "demandeur (entreprise)"},
  };
  printf("\nComptes de démonstration (mots de passe affichés une seule fois) :\n");
  for (size_t i = 0; i < ARRAY_SIZE(demo); i++) {
    char pw[21];
    random_password(pw);
    if (auth_user_create(demo[i].email, pw, "active", demo[i].roles, NULL) > 0)
      printf("  %-32s %-22s %s\n", demo[i].email, demo[i].label, pw);
  }
  for (int i = 0; features[i]; i++)
    if (features[i]->seed) features[i]->seed();
  printf("\n");
  fflush(stdout);
  audit_log(0, "demo.seed", "", "", "comptes de démonstration créés");
}

/* Backup: data_dir/backups/guichet-YYYY-MM-DD.db, keeping the newest N. */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_backup(int keep) {
  char dir[600], path[700];
  snprintf(dir, sizeof dir, "%s/backups", config_str("data_dir"));
  mkdir(dir, 0700);
  char day[11];
  fmt_today(day);
  snprintf(path, sizeof path, "%s/guichet-%s.db", dir, day);
  char tmp[720];
  snprintf(tmp, sizeof tmp, "%s.part", path);
  unlink(tmp);
  if (db_backup_to(tmp) != 0 || rename(tmp, path) != 0) {
    log_error("backup", "backup to %s failed", path);
    unlink(tmp);
    return -1;
  }
  log_info("backup", "backup written to %s", path);
  DIR *d = opendir(dir);
  if (!d) return 0;
  char *names[1024];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 1024) {
    size_t len = strlen(e->d_name);
    if (str_startswith(e->d_name, "guichet-") && len > 3 && !strcmp(e->d_name + len - 3, ".db"))
      names[n++] = xstrdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_str);
  for (int i = 0; i < n; i++) {
    if (i < n - keep) {
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      unlink(path);
    }
    free(names[i]);
  }
  return 0;
}

static int backup_job(json_t *payload, char **err) {
  UNUSED(payload);
  if (do_backup((int)config_int("backup_keep")) != 0) {
    *err = xstrdup("backup failed");
    return -1;
  }
  return 0;
}

/* Keeps login_failures and expired tokens from growing without bound. */
static int cleanup_job(json_t *payload, char **err) {
  UNUSED(payload);
  UNUSED(err);
  int64_t now = now_unix();
  db_run("DELETE FROM login_failures WHERE at<?", "i", now - 86400);
  db_run("DELETE FROM user_tokens WHERE expires_at<?", "i", now - 86400);
  db_run("DELETE FROM sessions WHERE seen_at<? OR created_at<?", "ii", now - config_int("session_idle"),
         now - config_int("session_absolute"));
  return 0;
}

static void init_all(void) {
  auth_init();
  http_routes_init();
  mail_init();
  job_register("core.backup", backup_job);
  job_every("core.backup", 86400);
  job_register("core.cleanup", cleanup_job);
  job_every("core.cleanup", 3600);
  for (int i = 0; features[i]; i++)
    if (features[i]->init) features[i]->init();
}

static int cmd_serve(void) {
  /* Block the stop signals before any thread starts: they inherit the mask,
  ** and only the main thread takes the signals, in sigwait. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (open_db() != 0 || http_secret_init() != 0) return 1;
  int np = password_common_load(config_str("passwords_file"));
  if (np < 0) log_error("main", "common password list %s not found", config_str("passwords_file"));
  init_all();
  seed();
  if (jobs_start() != 0) return 1;
  http_opts o = {config_str("listen"), (int)config_int("port"), (int)config_int("threads")};
  int port = 0;
  if (http_start(&o, &port) != 0) return 1;
  printf("Guichet écoute sur http://%s:%d/\n", o.listen, port);
  fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  log_info("main", "signal %d: stopping", sig);
  http_stop();
  jobs_stop();
  db_thread_close();
  return 0;
}

static int cmd_user_add(int argc, char **argv) {
  if (argc < 1) usage();
  const char *email = argv[0], *password = NULL;
  char roles[512] = "";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--role") && i + 1 < argc) {
      const char *r = argv[++i];
      if (!auth_role_known(r)) {
        fprintf(stderr, "guichet: unknown role %s\n", r);
        return 2;
      }
      size_t n = strlen(roles);
      snprintf(roles + n, sizeof roles - n, "%s%s", n ? "," : "", r);
    } else if (!strcmp(argv[i], "--password") && i + 1 < argc) {
      password = argv[++i];
    } else {
      usage();
    }
  }
  if (open_db() != 0) return 1;
  auth_init();
  char pw[21];
  if (!password) {
    random_password(pw);
    password = pw;
  }
  int dup = 0;
  int64_t id = auth_user_create(email, password, "active", roles, &dup);
  if (id < 0) {
    fprintf(stderr, "guichet: %s\n", dup ? "this email is already registered" : "cannot create user");
    return 1;
  }
  audit_log(0, "user.create", "cli", "", email);
  printf("user %lld %s%s%s\n", (long long)id, email, password == pw ? " password " : "",
         password == pw ? pw : "");
  return 0;
}

/* guichet token add EMAIL [NAME]: an API token for an active account, for
** scripts and integrations set up by the operators of the platform. */
static int cmd_token_add(int argc, char **argv) {
  if (argc < 1 || argc > 2) usage();
  if (open_db() != 0) return 1;
  char *email = auth_email_norm(xstrdup(argv[0]));
  int64_t uid = db_get_int(0, "SELECT id FROM users WHERE email=? AND status='active'", "t", email);
  if (!uid) {
    fprintf(stderr, "guichet: no active account %s\n", email);
    free(email);
    return 1;
  }
  char tok[44];
  const char *name = argc == 2 ? argv[1] : "ligne de commande";
  int64_t id = auth_api_token_create(uid, name, tok);
  if (id < 0) {
    free(email);
    return 1;
  }
  char obj[32];
  snprintf(obj, sizeof obj, "token:%lld", (long long)id);
  audit_log(0, "account.token_create", obj, "cli", email);
  printf("%s\n", tok);
  free(email);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  /* One malloc arena per core, not eight: request memory is short-lived and
  ** per-thread arenas mostly hold freed pages (peak RSS target < 50 MB). */
  mallopt(M_ARENA_MAX, 2);
  if (sodium_init() < 0) return 1;
  i18n_init(NULL);
  if (config_load() != 0) return 1;
  const char *cmd = argv[1];
  if (!strcmp(cmd, "serve")) return cmd_serve();
  if (!strcmp(cmd, "migrate")) return open_db() == 0 ? 0 : 1;
  if (!strcmp(cmd, "user") && argc >= 3 && !strcmp(argv[2], "add")) return cmd_user_add(argc - 3, argv + 3);
  if (!strcmp(cmd, "token") && argc >= 3 && !strcmp(argv[2], "add")) return cmd_token_add(argc - 3, argv + 3);
  if (!strcmp(cmd, "import") && argc >= 3) {
    if (open_db() != 0) return 1;
    if (!strcmp(argv[2], "geojson") || !strcmp(argv[2], "csv")) return geo_cli_import(argc - 2, argv + 2);
    if (!strcmp(argv[2], "addresses")) return geocode_cli_import(argc - 2, argv + 2);
    usage();
  }
  if (!strcmp(cmd, "backup")) {
    int keep = (int)config_int("backup_keep");
    if (argc == 4 && !strcmp(argv[2], "--keep")) keep = atoi(argv[3]);
    if (keep < 1) keep = 1;
    return open_db() == 0 && do_backup(keep) == 0 ? 0 : 1;
  }
  if (!strcmp(cmd, "verify-audit")) {
    if (open_db() != 0) return 1;
    buf out = {0};
    int n = audit_verify(&out);
    if (n == 0) printf("journal d'audit intact (%lld entrées)\n",
                       (long long)db_get_int(0, "SELECT count(*) FROM audit", ""));
    else printf("%s%d problème(s) dans le journal d'audit\n", buf_str(&out), n);
    buf_free(&out);
    return n == 0 ? 0 : 1;
  }
  if (!strcmp(cmd, "worker")) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (open_db() != 0) return 1;
    init_all();
    if (argc >= 3 && !strcmp(argv[2], "--once")) {
      jobs_schedule_tick(now_unix());
      printf("%d job(s) run\n", jobs_run_due());
      return 0;
    }
    if (jobs_start() != 0) return 1;
    int sig;
    sigwait(&set, &sig);
    jobs_stop();
    return 0;
  }
  usage();
  return 2;
}

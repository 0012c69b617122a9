/*
 * cmd_gallery.c -- `shualian gallery import DIR`: batch enrolment of a hall
 * migrating from another system (issue 13). DIR holds one folder per person
 * with their photos (JPEG/PNG). The first photo with a face is searched
 * against the hall's library first: a score at or above the identification
 * threshold flags the folder as a duplicate of that person (not inserted);
 * otherwise the person is enrolled and their other photos added (kept when
 * they differ). Progress on stderr, a JSON report (enrolled, photos,
 * duplicates, quality) on stdout. The previous system's consent records
 * must be carried over: --consent-recorded says they were.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "acct/acct.h"
#include "face/face_json.h"
#include "hall/hall.h"
#include "shualian/engine.h"
#include "shualian/face.h"
#include "shualian/image.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of dir (no dot files); *n of them. */
static char **list_dir(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t cap = 64;
    char **v = sl__malloc(cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            char **nv = sl__malloc(cap * 2 * sizeof *nv);
            if (!nv)
                break;
            memcpy(nv, v, cap * sizeof *v);
            sl__free(v);
            v = nv;
            cap *= 2;
        }
        size_t len = strlen(e->d_name);
        v[*n] = sl__malloc(len + 1);
        if (!v[*n])
            break;
        memcpy(v[*n], e->d_name, len + 1);
        (*n)++;
    }
    closedir(d);
    if (v)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sl__free(v[i]);
    sl__free(v);
}

/* Embedding of one photo; false (and the quality reasons counted) if it
 * has no usable face. */
static bool embed(sl_face_session *s, const char *path, float *emb, json_t *quality)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (sl__read_file(path, (size_t)64 << 20, &bytes, &len) != SL_OK) {
        json_object_set_new(quality, "unreadable",
            json_integer(json_integer_value(json_object_get(quality, "unreadable")) + 1));
        return false;
    }
    struct sl_image *img = NULL;
    sl_status st = sl_image_decode(bytes, len, NULL, 3, &img, NULL);
    sl__free(bytes);
    if (st != SL_OK) {
        json_object_set_new(quality, "undecodable",
            json_integer(json_integer_value(json_object_get(quality, "undecodable")) + 1));
        return false;
    }
    sl_face_result res;
    size_t n = 0, found = 0;
    sl_face_config cfg = sl_face_config_default();
    st = sl_face_process(s, img, &cfg, SL_FACE_DO_EMBED | SL_FACE_DO_QUALITY | SL_FACE_DO_POSE |
                         SL_FACE_DO_EYES, &res, 1, &n, &found);
    bool ok = st == SL_OK && found > 0;
    sl_quality_meas m = ok ? sl_face_quality_meas(img, &res, found) : sl_quality_meas_empty();
    sl_quality_thresholds th = sl_quality_preset_enrol();
    enum sl_quality_reason rs[32];
    size_t nr = sl_quality_check(rs, SL_ARRAY_LEN(rs), &m, &th);
    json_t *names = sl_quality_reasons_to_json(rs, nr);
    size_t i;
    json_t *r;
    json_array_foreach(names, i, r) {
        const char *c = json_string_value(json_object_get(r, "code"));
        if (c)
            json_object_set_new(quality, c,
                json_integer(json_integer_value(json_object_get(quality, c)) + 1));
    }
    json_decref(names);
    if (ok)
        memcpy(emb, res.emb, sizeof res.emb);
    sl_image_free(img);
    return ok;
}

static int usage(void)
{
    fprintf(stderr,
        "usage: shualian gallery import DIR --hall ID --consent-recorded [--data DIR] [--db URL]\n"
        "                                   [--keys FILE] [--models DIR]\n"
        "  DIR: one folder per person with their photos; duplicates (a folder whose\n"
        "  first photo is already in the hall's library at the identification\n"
        "  threshold) are reported, not inserted. JSON report on stdout.\n");
    return 2;
}

int cmd_gallery(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "import") != 0)
        return usage();
    const char *dir = argv[2], *data = "data", *db = NULL, *keys = NULL, *models = NULL;
    long hall = 0;
    bool consent = false;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--consent-recorded") == 0) { consent = true; continue; }
        if (!v)
            return usage();
        if (strcmp(a, "--hall") == 0) { if (!sl_cli_parse_long(v, 1, 1L << 40, &hall)) return usage(); }
        else if (strcmp(a, "--data") == 0) data = v;
        else if (strcmp(a, "--db") == 0) db = v;
        else if (strcmp(a, "--keys") == 0) keys = v;
        else if (strcmp(a, "--models") == 0) models = v;
        else return usage();
        i++;
    }
    if (!hall)
        return sl_cli_usage_error("gallery import", "--hall ID is required");
    if (!consent)
        return sl_cli_usage_error("gallery import", "--consent-recorded is required: enrol only "
                                  "persons whose consent to face processing was recorded");
    size_t np = 0;
    char **people = list_dir(dir, &np);
    if (!people)
        return sl_cli_fail(SL_ERR_IO, "gallery import", "cannot read %s", dir);

    sl_store *s = NULL;
    sl_keyring *k = NULL;
    sl_acct *a = NULL;
    int rc = sl_cli_server_open(data, db, keys, NULL, false, NULL, &s, &k, &a, "gallery import");
    if (rc >= 0) {
        free_list(people, np);
        return rc;
    }
    sl_face_engine *eng = NULL;
    sl_face_session *ses = NULL;
    sl_face_engine_opts eo = sl_face_engine_opts_default();
    const char *env = getenv("SL_MODELS");
    eo.models_dir = models ? models : env ? env : "models";
    eo.models = SL_FM_CORE | SL_FM_BIT(SL_FM_POSE) | SL_FM_BIT(SL_FM_EYE);
    char err[512] = "";
    sl_status st = sl_face_engine_new(&eng, &eo, err, sizeof err);
    if (st == SL_OK)
        st = sl_face_session_new(&ses, eng);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, "gallery import", "face engine: %s", err[0] ? err : sl_status_str(st));
        goto out;
    }
    json_t *dups = json_array(), *quality = json_object();
    size_t enrolled = 0, photos = 0, skipped = 0, noface = 0;
    struct sl_cli_progress pr;
    sl_cli_progress_init(&pr, "import");
    struct sl_audit_rec au = { .actor_kind = "system", .actor_id = "gallery-import",
                               .action = "hall.import", .outcome = "ok",
                               .purpose = "batch enrolment (consent recorded by the previous system)" };
    for (size_t p = 0; p < np && st == SL_OK; p++) {
        char pdir[4096];
        snprintf(pdir, sizeof pdir, "%s/%s", dir, people[p]);
        size_t nf = 0;
        char **files = list_dir(pdir, &nf);
        int64_t person = 0;
        for (size_t f = 0; files && f < nf && st == SL_OK; f++) {
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", pdir, files[f]);
            float emb[SL_HALL_DIM];
            if (!embed(ses, path, emb, quality)) {
                noface++;
                continue;
            }
            if (person == 0) {
                struct sl_hall_cand c[1];
                size_t n = 0;
                st = sl__hall_search(s, k, hall, emb, c, 1, &n);
                if (st == SL_OK && n && c[0].score >= SL_HALL_IDENT_THRESHOLD) {
                    json_array_append_new(dups, json_pack("{s:s,s:I,s:o}", "folder", people[p],
                        "person_id", (json_int_t)c[0].person, "score", sl_json_real(c[0].score, 4)));
                    skipped++;
                    break;
                }
                au.at_ms = sl__now_ms();
                if (st == SL_OK)
                    st = sl__hall_enrol(s, k, hall, emb, people[p], &au, &person);
                enrolled += st == SL_OK;
                photos += st == SL_OK;
            } else {
                bool added = false;
                int cnt = 0;
                au.at_ms = sl__now_ms();
                st = sl__hall_add_photo(s, k, hall, person, emb, &au, &added, &cnt);
                photos += added;
            }
        }
        free_list(files, nf);
        sl_cli_progress_update(&pr, p + 1, np, noface, p + 1 == np);
    }
    if (st != SL_OK)
        rc = sl_cli_fail(st, "gallery import", "store: %s", sl_status_str(st));
    json_t *rep = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "folders", (json_int_t)np,
                            "enrolled", (json_int_t)enrolled, "photos", (json_int_t)photos,
                            "duplicates_skipped", (json_int_t)skipped,
                            "photos_without_usable_face", (json_int_t)noface,
                            "duplicates", dups, "quality_reasons", quality);
    char *text = json_dumps(rep, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(rep);
    if (rc < 0)
        rc = 0;
out:
    sl_face_session_free(ses);
    sl_face_engine_free(eng);
    sl__acct_free(a);
    sl__store_close(s);
    sl__keyring_free(k);
    free_list(people, np);
    return rc;
}

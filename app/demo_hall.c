/*
 * demo_hall.c -- the demo hall's portrait library and watchlist (demo.h,
 * docs/hall.md): 示例丁 (seed 000 情形二, the returning visitor: two
 * verified visits, photos 1 and 2 of her photo identity) and 示例甲 (one
 * visit, photo 1); a watchlist with one synthetic entry from a dev photo of
 * an identity that is none of the demo persons. Enrolment goes the real way:
 * a passed hall_enrolment verification at the demo hall (vouched by the
 * seed), the library_enrolment consent, sl__hall_enrol_verified.
 *
 * Idempotent: a person already in the library (or who withdrew: never
 * enrolled again) and an existing entry are left alone. Registry persons
 * missing (the registry seed not run) are added from persons.json with
 * their registry photo's template. Without the face engine nothing is
 * added (a warning).
 */
#include <stdio.h>
#include <string.h>

#include "demo.h"
#include "base/base.h"
#include "hall/hall.h"
#include "id/id.h"
#include "shualian/engine.h"
#include "shualian/face.h"
#include "shualian/image.h"
#include "store/store.h"

#define WATCH_IDENTITY "Abel_Pacheco"
#define WATCH_REASON   "demo: synthetic entry (a test photo, nobody real)"

/* The embedding of one photo file; false when unreadable or faceless. */
static bool photo_emb(sl_face_session *ses, const char *path, float emb[SL_HALL_DIM])
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    struct sl_image *img = NULL;
    if (sl__read_file(path, (size_t)16 << 20, &bytes, &len) != SL_OK)
        return false;
    sl_status st = sl_image_decode(bytes, len, NULL, 3, &img, NULL);
    sl__free(bytes);
    if (st != SL_OK)
        return false;
    sl_face_result res;
    size_t n = 0, found = 0;
    sl_face_config cfg = sl_face_config_default();
    st = sl_face_process(ses, img, &cfg, SL_FACE_DO_EMBED, &res, 1, &n, &found);
    sl_image_free(img);
    if (st != SL_OK || found == 0)
        return false;
    memcpy(emb, res.emb, sizeof res.emb);
    return true;
}

/* The registry person of a persons.json entry, added when missing. */
static sl_status registry_person(struct sl_demo *d, sl_face_session *ses, const json_t *p,
                                 size_t idx, int64_t *id)
{
    const char *num = json_string_value(json_object_get(p, "id_number"));
    const char *name = json_string_value(json_object_get(p, "name"));
    if (!num || !name)
        return SL_ERR_INVALID;
    struct sl_person got;
    sl_status st = sl__person_find(d->store, d->keys, SL_ID_RESIDENT, num, false, NULL, &got);
    if (st == SL_OK) {
        *id = got.id;
        return SL_OK;
    }
    if (st != SL_ERR_ID_PERSON_UNKNOWN)
        return st;
    char path[700];
    float emb[SL_HALL_DIM];
    uint8_t *photo = NULL;
    size_t photo_n = 0;
    bool has = sl_demo_photo_path(d, p, idx, 0, path, sizeof path) == SL_OK &&
               photo_emb(ses, path, emb) && sl__read_file(path, (size_t)16 << 20, &photo,
                                                          &photo_n) == SL_OK;
    struct sl_person_new pn = {
        .id_type = SL_ID_RESIDENT, .number = num, .name = name,
        .valid_to = json_string_value(json_object_get(p, "valid_to")),
        .photo = has ? photo : NULL, .photo_n = has ? photo_n : 0,
        .tmpl = has ? emb : NULL, .tmpl_dim = has ? SL_HALL_DIM : 0,
    };
    st = sl__person_add(d->store, d->keys, &pn, NULL, NULL, id);
    sl__free(photo);
    return st;
}

struct verif_ctx {
    const sl_keyring *k;
    int64_t person, hall, id;
};

/* A passed hall_enrolment verification at the demo hall, vouched by the
 * seed (what the window's verification records for a visit). */
static sl_status verif_tx(sl_tx *tx, void *vctx)
{
    struct verif_ctx *c = vctx;
    char ref[32];
    sl__hall_ref(c->hall, ref, sizeof ref);
    uint32_t lv = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_PERSON;
    struct sl_verification_new v = {
        .person_id = c->person, .matter = SL_HALL_ENROL_MATTER, .reference = ref,
        .channel = "window", .device = "demo-seed", .levels = lv,
        .method = SL_METHOD_CLERK_VOUCHED, .vouched_by = "demo-seed",
    };
    sl_status st = sl__verification_create_tx(tx, &v, &c->id);
    if (st == SL_OK)
        st = sl__verification_finish_tx(tx, c->k, c->id, lv, true, 1.0, 0.0,
                                        "{\"demo_seed\":true}");
    return st;
}

/* Enrols (visit 1) and adds photos (later visits) for one person. */
static sl_status library_person(struct sl_demo *d, sl_face_session *ses, const json_t *p,
                                size_t idx, int photos, json_t *out)
{
    int64_t reg = 0, lib = 0;
    sl_status st = registry_person(d, ses, p, idx, &reg);
    if (st != SL_OK)
        return st;
    bool withdrawn = false;
    st = sl__hall_person_of(d->store, d->hall, reg, &lib, &withdrawn);
    int held = 0;
    if (st == SL_OK && withdrawn) {
        sl_log_info("demo hall: %s withdrew from the library: not enrolled again",
                    json_string_value(json_object_get(p, "name")));
    } else if (st == SL_ERR_NOT_FOUND) {
        st = SL_OK;
        for (int i = 1; st == SL_OK && i <= photos; i++) {
            char path[700];
            float emb[SL_HALL_DIM];
            if (sl_demo_photo_path(d, p, idx, (size_t)i, path, sizeof path) != SL_OK ||
                !photo_emb(ses, path, emb))
                break;
            struct verif_ctx vc = { d->keys, reg, d->hall, 0 };
            st = sl__store_run(d->store, verif_tx, &vc);
            struct sl_audit_rec au = { .actor_kind = "system", .actor_id = "demo-seed",
                                       .action = "hall.enrol", .outcome = "ok" };
            struct sl_hall_visit v = { .hall = d->hall, .verification = vc.id, .emb = emb,
                                       .consent_now = i == 1, .channel = "window",
                                       .label = "demo", .au = &au };
            struct sl_hall_visit_out o;
            if (st == SL_OK)
                st = sl__hall_enrol_verified(d->store, d->keys, &v, &o);
            if (st == SL_OK) {
                lib = o.person;
                held = o.templates;
            }
        }
    }
    if (st != SL_OK)
        return st;
    char probe[700] = "";
    (void)sl_demo_photo_path(d, p, idx, (size_t)photos + 1, probe, sizeof probe);
    json_array_append_new(out, json_pack("{s:s,s:I,s:I,s:b,s:s}",
        "name", json_string_value(json_object_get(p, "name")),
        "registry_person", (json_int_t)reg, "library_person", (json_int_t)lib,
        "withdrawn", withdrawn, "identify_with", probe));
    (void)held;
    return SL_OK;
}

sl_status sl_demo_seed_hall(struct sl_demo *d)
{
    if (!d->engine) {
        sl_log_warn("demo hall: no face engine: the portrait library is not seeded");
        return SL_OK;
    }
    json_t *all = NULL;
    sl_status st = sl_demo_persons(d, &all);
    if (st != SL_OK)
        return st;
    sl_face_session *ses = NULL;
    st = sl_face_session_new(&ses, d->engine);
    json_t *lib = json_array();
    json_t *persons = json_object_get(all, "persons");
    static const struct { const char *name; int photos; } who[] = {
        { "示例丁", 2 },   /* seed 000 情形二: the returning visitor */
        { "示例甲", 1 },
    };
    for (size_t w = 0; st == SL_OK && w < SL_ARRAY_LEN(who); w++) {
        size_t i;
        json_t *p;
        json_array_foreach(persons, i, p) {
            const char *n = json_string_value(json_object_get(p, "name"));
            if (n && strcmp(n, who[w].name) == 0) {
                st = library_person(d, ses, p, i, who[w].photos, lib);
                break;
            }
        }
    }
    /* the watchlist: one synthetic entry (an identity none of the persons) */
    json_t *watch = NULL;
    if (st == SL_OK && d->faces) {
        char path[700], probe[700];
        snprintf(path, sizeof path, "%s/dev/%s/1.jpg", d->faces, WATCH_IDENTITY);
        snprintf(probe, sizeof probe, "%s/dev/%s/2.jpg", d->faces, WATCH_IDENTITY);
        int64_t entry = 0;
        st = sl__hall_watch_find(d->store, d->hall, WATCH_REASON, &entry);
        float emb[SL_HALL_DIM];
        if (st == SL_ERR_NOT_FOUND) {
            st = SL_OK;
            struct sl_audit_rec au = { .actor_kind = "system", .actor_id = "demo-seed",
                                       .action = "hall.watch_add", .outcome = "ok" };
            if (photo_emb(ses, path, emb))
                st = sl__hall_watch_add(d->store, d->keys, d->hall, emb, WATCH_REASON, 2,
                                        "demo-seed", INT64_MAX / 2, &au, &entry);
        }
        if (st == SL_OK && entry)
            watch = json_pack("{s:I,s:s,s:s}", "entry_id", (json_int_t)entry,
                              "photo_identity", WATCH_IDENTITY, "alarm_with", probe);
    }
    sl_face_session_free(ses);
    json_decref(all);
    if (st != SL_OK) {
        json_decref(lib);
        json_decref(watch);
        return st;
    }
    json_object_set_new(d->cred, "hall_library",
        json_pack("{s:I,s:o,s:o}", "hall", (json_int_t)d->hall, "persons", lib,
                  "watchlist", watch ? watch : json_null()));
    return SL_OK;
}

/*
 * demo_registry.c -- the demo registry (app/demo.h): every person of
 * share/shualian/demo/persons.json with photo 0 as registry photo, through
 * the same enrolment as POST /v1/registry/persons (src/id/enrol.h).
 * Idempotent: a person already there is left alone, except that one added
 * earlier without a template (serve --no-models) gets it once the engine
 * is there. Writes cred "persons": [{name, id_type, id_number, person_id,
 * scenario}].
 */
#include <stdio.h>
#include <string.h>

#include "acct/acct.h"
#include "demo.h"
#include "id/enrol.h"
#include "id/id.h"
#include "store/store.h"

struct face_ctx {
    const sl_keyring *k;
    int64_t id;
    const void *photo;
    size_t n;
    const float *emb;
    const struct sl_acct_audit *au;
};

static sl_status set_face_tx(sl_tx *tx, void *vctx)
{
    struct face_ctx *c = vctx;
    return sl__person_set_face_tx(tx, c->k, c->id, c->photo, c->n, c->emb,
                                  SL_FACE_EMBED_DIM, c->au);
}

static enum sl_person_status status_of(const char *s)
{
    if (s && strcmp(s, "deceased") == 0)
        return SL_PERSON_DECEASED;
    if (s && strcmp(s, "cancelled") == 0)
        return SL_PERSON_CANCELLED;
    return SL_PERSON_ACTIVE;
}

/* One person: found, or added; *pid gets the person_id. */
static sl_status seed_one(struct sl_demo *d, sl_face_session *s, const json_t *p, size_t i,
                          int64_t *pid, size_t *added, size_t *no_tmpl)
{
    const char *name = json_string_value(json_object_get(p, "name"));
    const char *number = json_string_value(json_object_get(p, "id_number"));
    enum sl_id_type t = sl_id_type_parse(json_string_value(json_object_get(p, "id_type")));
    if (!name || !number || !t) {
        sl_log_err("demo registry: persons.json entry %zu lacks name, id_number or id_type", i);
        return SL_ERR_CORRUPT;
    }
    struct sl_acct_audit au = { .actor_kind = "system", .actor_id = "serve --demo",
                                .action = "demo.registry", .purpose = "demo seed" };
    struct sl_person cur;
    sl_status st = sl__person_find(d->store, d->keys, t, number, false, &au, &cur);
    if (st == SL_OK && (cur.has_template || !s)) {
        *pid = cur.id;
        if (!cur.has_template)
            (*no_tmpl)++;
        return SL_OK;
    }
    if (st != SL_OK && st != SL_ERR_ID_PERSON_UNKNOWN)
        return st;
    char path[700];
    uint8_t *photo = NULL;
    size_t pn = 0;
    if (sl_demo_photo_path(d, p, i, 0, path, sizeof path) != SL_OK ||
        sl__read_file(path, SL_ID_PHOTO_MAX, &photo, &pn) != SL_OK) {
        sl_log_warn("demo registry: no photo for %s: added without face data", name);
        photo = NULL;
        pn = 0;
    }
    struct sl_id_enrol *e = sl__malloc(sizeof *e);
    if (!e) {
        sl__free(photo);
        return SL_ERR_NOMEM;
    }
    bool have_emb = false;
    if (s && photo) {
        sl_status es = sl__id_enrol_photo(s, photo, pn, e);
        have_emb = es == SL_OK;
        if (!have_emb)
            sl_log_warn("demo registry: the photo of %s (%s) was refused (%s): added without "
                        "a template", name, path, sl_status_name((int)es));
    }
    if (st == SL_OK) {
        /* added before without the engine: the template now */
        *pid = cur.id;
        if (have_emb) {
            au.action = "demo.registry.face";
            struct face_ctx c = { d->keys, cur.id, NULL, 0, e->emb, &au };
            st = sl__store_run(d->store, set_face_tx, &c);
        } else {
            (*no_tmpl)++;
        }
    } else {
        struct sl_person_new np = {
            .id_type = t, .number = number, .name = name,
            .valid_to = json_string_value(json_object_get(p, "valid_to")),
            .status = status_of(json_string_value(json_object_get(p, "status"))),
            .photo = photo, .photo_n = pn,
            .tmpl = have_emb ? e->emb : NULL, .tmpl_dim = have_emb ? SL_FACE_EMBED_DIM : 0,
        };
        au.action = "demo.registry.add";
        const char *why = NULL;
        st = sl__person_add(d->store, d->keys, &np, &au, &why, pid);
        if (st != SL_OK)
            sl_log_err("demo registry: %s: %s%s%s", name, sl_status_str(st), why ? ": " : "",
                       why ? why : "");
        if (st == SL_OK) {
            (*added)++;
            if (!have_emb)
                (*no_tmpl)++;
        }
    }
    sl__free(e);
    sl__free(photo);
    return st;
}

sl_status sl_demo_seed_registry(struct sl_demo *d)
{
    json_t *all = NULL;
    sl_status st = sl_demo_persons(d, &all);
    if (st != SL_OK)
        return st;
    sl_face_session *s = NULL;
    if (d->engine && sl_face_session_new(&s, d->engine) != SL_OK)
        s = NULL;
    if (!s)
        sl_log_warn("demo registry: no face engine (--no-models): persons are added without "
                    "face templates; restart with models to add them");
    json_t *persons = json_object_get(all, "persons");
    json_t *out = json_array();
    size_t added = 0, no_tmpl = 0;
    for (size_t i = 0; st == SL_OK && out && i < json_array_size(persons); i++) {
        const json_t *p = json_array_get(persons, i);
        int64_t pid = 0;
        st = seed_one(d, s, p, i, &pid, &added, &no_tmpl);
        if (st == SL_OK)
            json_array_append_new(out, json_pack("{s:O?,s:O?,s:O?,s:I,s:O?}",
                "name", json_object_get(p, "name"), "id_type", json_object_get(p, "id_type"),
                "id_number", json_object_get(p, "id_number"), "person_id", (json_int_t)pid,
                "scenario", json_object_get(p, "scenario")));
    }
    sl_face_session_free(s);
    if (st == SL_OK && !out)
        st = SL_ERR_NOMEM;
    if (st == SL_OK) {
        json_object_set_new(d->cred, "persons", out);
        out = NULL;
        sl_log_info("demo registry: %zu persons (%zu added now, %zu without a face template)",
                    json_array_size(persons), added, no_tmpl);
    }
    json_decref(out);
    json_decref(all);
    return st;
}

/*
 * demo_id.c -- the verification sessions' demo seed (issue 11, branch
 * w3-idverif): what the curl walk-through of docs/identity.md needs.
 *
 * - The demo persons of share/shualian/demo/persons.json in the registry,
 *   each with its registry photo (photo 0) and template, for those not
 *   there yet. The registry seed (sl_demo_seed_registry, branch w3-idreg)
 *   does the same and runs first once it is in the table: this one then
 *   finds every person and adds nothing.
 * - The demo bank cards (share/shualian/demo/bank.csv, serve's default
 *   --bank-file with --demo) into the credentials, "bank_cards".
 * Without a face engine the persons get no template (实证 then refuses)
 * and the seed says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct/acct.h"
#include "demo.h"
#include "id/id.h"
#include "shualian/engine.h"
#include "shualian/image.h"
#include "shualian/util.h"
#include "store/store.h"

static sl_status template_of(sl_face_session *s, const uint8_t *photo, size_t n,
                             float emb[SL_FACE_EMBED_DIM])
{
    struct sl_image *img = NULL;
    sl_status st = sl_image_decode(photo, n, NULL, 3, &img, NULL);
    if (st != SL_OK)
        return st;
    sl_face_result res;
    size_t k = 0, found = 0;
    sl_face_config cfg = sl_face_config_default();
    st = sl_face_process(s, img, &cfg, SL_FACE_DO_EMBED, &res, 1, &k, &found);
    sl_image_free(img);
    if (st == SL_OK && (k == 0 || !res.has_emb))
        st = SL_NO_FACE;
    if (st == SL_OK)
        memcpy(emb, res.emb, sizeof res.emb);
    return st;
}

static sl_status add_person(struct sl_demo *d, sl_face_session *fs, const json_t *p, size_t i)
{
    enum sl_id_type t = sl_id_type_parse(json_string_value(json_object_get(p, "id_type")));
    const char *num = json_string_value(json_object_get(p, "id_number"));
    const char *name = json_string_value(json_object_get(p, "name"));
    if (!t || !num || !name)
        return SL_ERR_CORRUPT;
    struct sl_person old;
    sl_status st = sl__person_find(d->store, d->keys, t, num, false, NULL, &old);
    if (st == SL_OK)
        return SL_OK;                       /* there already */
    if (SL_STATUS_PRIMARY(st) == SL_ERR_INVALID) {
        sl_log_warn("demo: %s: %s (%s): not added", name, sl_status_str(st), sl_status_name(st));
        return SL_OK;
    }
    if (st != SL_ERR_ID_PERSON_UNKNOWN)
        return st;
    char path[700];
    uint8_t *photo = NULL;
    size_t pn = 0;
    float emb[SL_FACE_EMBED_DIM];
    bool have_t = false;
    if (sl_demo_photo_path(d, p, i, 0, path, sizeof path) == SL_OK &&
        sl_file_read(path, 8u << 20, &photo, &pn) == SL_OK && fs)
        have_t = template_of(fs, photo, pn, emb) == SL_OK;
    const char *status = json_string_value(json_object_get(p, "status"));
    struct sl_person_new np = {
        .id_type = t, .number = num, .name = name,
        .valid_to = json_string_value(json_object_get(p, "valid_to")),
        .status = status && strcmp(status, "deceased") == 0 ? SL_PERSON_DECEASED : SL_PERSON_ACTIVE,
        .photo = photo, .photo_n = photo ? pn : 0,
        .tmpl = have_t ? emb : NULL, .tmpl_dim = have_t ? SL_FACE_EMBED_DIM : 0,
    };
    struct sl_acct_audit au = { .actor_kind = "system", .actor_id = "demo",
                                .action = "person.add", .object_type = "person",
                                .purpose = "demo", .outcome = "ok" };
    int64_t id = 0;
    st = sl__person_add(d->store, d->keys, &np, &au, NULL, &id);
    sl_free(photo);
    if (st == SL_OK && !have_t)
        sl_log_warn("demo: %s has no registry template (no face engine or photo): 实证 refuses", name);
    return st == SL_ERR_ID_PERSON_EXISTS ? SL_OK : st;
}

static void bank_cards(struct sl_demo *d)
{
    char path[600];
    snprintf(path, sizeof path, "%s/demo/bank.csv", d->share);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    json_t *a = json_array();
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\r\n")] = 0;
        char *card = strtok(line, ","), *num = strtok(NULL, ","), *name = strtok(NULL, ","),
             *phone = strtok(NULL, ",");
        if (card && num && name && phone)
            json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "card", card, "id_number",
                                               num, "name", name, "phone", phone));
    }
    fclose(f);
    json_object_set_new(d->cred, "bank_cards", a);
}

sl_status sl_demo_seed_verif(struct sl_demo *d)
{
    json_t *all = NULL;
    sl_status st = sl_demo_persons(d, &all);
    if (st != SL_OK)
        return st;
    sl_face_session *fs = NULL;
    if (d->engine && sl_face_session_new(&fs, d->engine) != SL_OK)
        fs = NULL;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(all, "persons"), i, p) {
        st = add_person(d, fs, p, i);
        if (st != SL_OK)
            break;
    }
    sl_face_session_free(fs);
    json_decref(all);
    if (st == SL_OK)
        bank_cards(d);
    return st;
}

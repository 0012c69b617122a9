/*
 * face_json.c -- JSON forms of challenges, frame signals, analysis results
 * and quality reasons (face_json.h).
 *
 * Once per request; input is untrusted client JSON, already parsed with
 * sl_json_parse (depth and duplicate-key limits).
 */
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "base/json.h"
#include "face/face_json.h"

static json_t *bilingual(const char *zh, const char *en)
{
    return json_pack("{s:s, s:s}", "zh", zh, "en", en);
}

json_t *sl_challenge_to_json(const sl_challenge *c)
{
    if (!c)
        return NULL;
    json_t *steps = json_array();
    if (!steps)
        return NULL;
    for (uint32_t i = 0; i < c->n_steps && i < SL_CHALLENGE_MAX_STEPS; i++) {
        const sl_challenge_step *s = &c->steps[i];
        json_t *o = json_pack("{s:s, s:I, s:I, s:o}",
            "action", sl_action_name((enum sl_action)s->action),
            "start", (json_int_t)s->start_ms, "end", (json_int_t)s->end_ms,
            "prompt", bilingual(sl_action_prompt((enum sl_action)s->action, SL_LANG_ZH),
                                sl_action_prompt((enum sl_action)s->action, SL_LANG_EN)));
        if (!o || json_array_append_new(steps, o))
            goto out_fail;
        if (s->action == SL_ACT_READ_DIGITS) {
            json_t *ends = json_array();
            for (uint32_t k = 0; ends && k < s->n_digits && k < SL_CHALLENGE_MAX_DIGITS; k++)
                if (json_array_append_new(ends, json_integer(s->digit_end_ms[k]))) {
                    json_decref(ends);
                    ends = NULL;
                }
            if (!ends || json_object_set_new(o, "digit_ends", ends) ||
                json_object_set_new(o, "digits", json_stringn(s->digits, s->n_digits)))
                goto out_fail;
        }
    }
    json_t *j = json_pack("{s:s, s:I, s:I, s:o}", "nonce", c->nonce_text,
                          "issued_at", (json_int_t)c->issued_at_ms,
                          "expires_at", (json_int_t)c->expires_at_ms, "steps", steps);
    return j;
out_fail:
    json_decref(steps);
    return NULL;
}

static bool get_ms(const json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return false;
    *out = json_integer_value(v);
    return true;
}

sl_status sl_challenge_from_json(sl_challenge *out, const json_t *j)
{
    sl_challenge c;
    memset(&c, 0, sizeof(c));
    const char *nonce = json_string_value(json_object_get(j, "nonce"));
    const json_t *steps = json_object_get(j, "steps");
    if (!out || !json_is_object(j) || !nonce ||
        !sl_challenge_nonce_parse(c.nonce, nonce) ||
        !get_ms(j, "issued_at", &c.issued_at_ms) ||
        !get_ms(j, "expires_at", &c.expires_at_ms) || !json_is_array(steps) ||
        json_array_size(steps) < SL_CHALLENGE_MIN_STEPS ||
        json_array_size(steps) > SL_CHALLENGE_MAX_STEPS)
        return SL_ERR_CHALLENGE_FORMAT;
    memcpy(c.nonce_text, nonce, SL_CHALLENGE_NONCE_TEXT - 1);
    c.n_steps = (uint32_t)json_array_size(steps);
    for (uint32_t i = 0; i < c.n_steps; i++) {
        const json_t *o = json_array_get(steps, i);
        sl_challenge_step *s = &c.steps[i];
        enum sl_action a;
        if (!json_is_object(o) ||
            !sl_action_parse(json_string_value(json_object_get(o, "action")), &a) ||
            !get_ms(o, "start", &s->start_ms) || !get_ms(o, "end", &s->end_ms))
            return SL_ERR_CHALLENGE_FORMAT;
        s->action = (uint8_t)a;
        if (a != SL_ACT_READ_DIGITS)
            continue;
        const char *digits = json_string_value(json_object_get(o, "digits"));
        const json_t *ends = json_object_get(o, "digit_ends");
        size_t nd = digits ? strlen(digits) : 0;
        if (nd < 1 || nd > SL_CHALLENGE_MAX_DIGITS || !json_is_array(ends) ||
            json_array_size(ends) != nd)
            return SL_ERR_CHALLENGE_FORMAT;
        memcpy(s->digits, digits, nd);
        s->n_digits = (uint8_t)nd;
        for (size_t k = 0; k < nd; k++) {
            const json_t *e = json_array_get(ends, k);
            if (!json_is_integer(e) || json_integer_value(e) <= 0 ||
                json_integer_value(e) > 600000)
                return SL_ERR_CHALLENGE_FORMAT;
            s->digit_end_ms[k] = (int32_t)json_integer_value(e);
        }
    }
    if (sl_challenge_validate(&c) != SL_OK)
        return SL_ERR_CHALLENGE_FORMAT;
    *out = c;
    return SL_OK;
}

/* Optional number: absent or null = NAN; anything else but a number fails. */
static bool opt_num(const json_t *o, const char *key, float *out)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        *out = NAN;
        return true;
    }
    if (!json_is_number(v))
        return false;
    double d = json_number_value(v);
    if (!isfinite(d))
        return false;
    *out = (float)d;
    return true;
}

sl_status sl_frames_from_json(sl_frame_signal *out, size_t cap, size_t *n,
                              const json_t *j)
{
    if (!out || !n)
        return SL_ERR_INVALID;
    const json_t *arr = json_is_array(j) ? j : json_object_get(j, "frames");
    if (!json_is_array(arr))
        return SL_ERR_CHALLENGE_FORMAT;
    if (json_array_size(arr) > cap)
        return SL_ERR_TOO_LARGE;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *o = json_array_get(arr, i);
        sl_frame_signal *f = &out[i];
        json_t *face = json_object_get(o, "face");
        if (!json_is_object(o) || !get_ms(o, "t_ms", &f->t_ms) || !json_is_boolean(face) ||
            !opt_num(o, "eye_open_left", &f->eye_open_left) ||
            !opt_num(o, "eye_open_right", &f->eye_open_right) ||
            !opt_num(o, "yaw", &f->yaw) || !opt_num(o, "pitch", &f->pitch) ||
            !opt_num(o, "roll", &f->roll) || !opt_num(o, "mouth_open", &f->mouth_open) ||
            !opt_num(o, "similarity", &f->similarity) ||
            !opt_num(o, "live_score", &f->live_score))
            return SL_ERR_CHALLENGE_FORMAT;
        f->face = json_is_true(face);
    }
    *n = json_array_size(arr);
    return SL_OK;
}

static json_t *reason_json(enum sl_live_reason r)
{
    return json_pack("{s:s, s:s, s:s}", "code", sl_live_reason_name(r),
                     "zh", sl_live_reason_msg(r, SL_LANG_ZH),
                     "en", sl_live_reason_msg(r, SL_LANG_EN));
}

json_t *sl_challenge_result_to_json(const sl_challenge_result *r)
{
    if (!r)
        return NULL;
    json_t *reasons = json_array(), *steps = json_array();
    if (!reasons || !steps)
        goto out_fail;
    for (uint32_t i = 0; i < r->n_reasons && i < SL_CHALLENGE_MAX_REASONS; i++)
        if (json_array_append_new(reasons, reason_json((enum sl_live_reason)r->reasons[i])))
            goto out_fail;
    for (uint32_t i = 0; i < r->n_steps && i < SL_CHALLENGE_MAX_STEPS; i++) {
        const sl_challenge_step_result *s = &r->steps[i];
        char zh[256], en[256];
        sl_challenge_step_msg(zh, sizeof(zh), s, SL_LANG_ZH);
        sl_challenge_step_msg(en, sizeof(en), s, SL_LANG_EN);
        json_t *o = json_pack("{s:s, s:b, s:s, s:o}",
            "action", sl_action_name((enum sl_action)s->action), "pass", s->pass,
            "reason", sl_live_reason_name((enum sl_live_reason)s->reason),
            "message", bilingual(zh, en));
        if (!o || json_array_append_new(steps, o))
            goto out_fail;
        if (s->t_end_ms &&
            (json_object_set_new(o, "begin", json_integer(s->t_begin_ms)) ||
             json_object_set_new(o, "end", json_integer(s->t_end_ms))))
            goto out_fail;
        if (s->action == SL_ACT_READ_DIGITS &&
            json_object_set_new(o, "digits_ok", json_integer(s->digits_ok)))
            goto out_fail;
    }
    return json_pack("{s:b, s:o, s:o, s:o, s:o, s:I, s:I}", "pass", r->pass,
                     "reasons", reasons, "steps", steps,
                     "min_similarity", sl_json_real(r->min_similarity, 6),
                     "passive_score", sl_json_real(r->passive_score, 6),
                     "frames_used", (json_int_t)r->frames_used,
                     "face_frames", (json_int_t)r->face_frames);
out_fail:
    json_decref(steps);
    json_decref(reasons);
    return NULL;
}

json_t *sl_quality_reasons_to_json(const enum sl_quality_reason *r, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "code", sl_quality_reason_name(r[i]),
                              "zh", sl_quality_reason_msg(r[i], SL_LANG_ZH),
                              "en", sl_quality_reason_msg(r[i], SL_LANG_EN));
        if (!o || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *sl_face_box_json(const sl_face_box *b)
{
    return json_pack("[o,o,o,o]", sl_json_real(b->x0, 6), sl_json_real(b->y0, 6),
                     sl_json_real(b->x1, 6), sl_json_real(b->y1, 6));
}

json_t *sl_face_quality_json(const sl_quality_meas *m, const enum sl_quality_reason *r,
                              size_t n, bool pass, const char *preset)
{
    json_t *meas = json_pack("{s:i, s:i, s:I}", "image_w", m->image_w, "image_h", m->image_h,
                             "face_count", (json_int_t)m->face_count);
    if (meas && m->face_count > 0) {
        json_object_set_new(meas, "interocular_px", sl_json_real(m->interocular_px, 5));
        json_object_set_new(meas, "sharpness", sl_json_real(m->sharpness, 5));
        json_object_set_new(meas, "luma_mean", sl_json_real(m->luma_mean, 5));
        json_object_set_new(meas, "luma_std", sl_json_real(m->luma_std, 5));
        /* not fr_pose's yaw/roll: the yaw the check used (landmarks, or
         * fr_pose when they do not fit) and the eye line's roll */
        json_object_set_new(meas, "yaw_checked", sl_json_real(m->yaw, 4));
        json_object_set_new(meas, "pitch", sl_json_real(m->pitch, 4));
        json_object_set_new(meas, "roll_eye_line", sl_json_real(m->roll, 4));
        json_object_set_new(meas, "eye_open_left", sl_json_real(m->eye_open_left, 4));
        json_object_set_new(meas, "eye_open_right", sl_json_real(m->eye_open_right, 4));
    }
    return json_pack("{s:s, s:b, s:o, s:o}", "preset", preset, "pass", pass,
                     "reasons", sl_quality_reasons_to_json(r, n), "measurements", meas);
}

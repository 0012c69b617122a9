/*
 * liveness.c -- liveness reason and action tables (codes, zh/en text), the
 * three-way passive decision, the crop-context ratio and the mouth-opening
 * measure.
 *
 * Called once per frame or per decision: table look-ups and a few flops.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"

struct text_row {
    int         code;
    const char *name;
    const char *zh;
    const char *en;
};

static const struct text_row live_reasons[] = {
    { SL_LR_OK, "ok", "通过", "passed" },
    { SL_LR_NOT_DONE, "action_not_done",
      "未检测到动作", "action not seen" },
    { SL_LR_WRONG_ORDER, "action_wrong_order",
      "动作顺序不对，请按提示的顺序完成", "action done out of order: follow the prompts in order" },
    { SL_LR_TOO_LATE, "action_too_late",
      "动作太慢，请在倒计时结束前完成", "action too late: do it before the countdown ends" },
    { SL_LR_NO_FACE, "no_face",
      "未检测到人脸，请正对摄像头", "no face found: please look straight at the camera" },
    { SL_LR_IDENTITY_SWITCH, "identity_switch",
      "检测到画面中的人发生变化，请本人全程面对摄像头",
      "the face changed during the check: the same person must stay in front of the camera" },
    { SL_LR_SPOOF, "spoof",
      "疑似照片、屏幕或面具，请本人直接面对摄像头",
      "this looks like a photo, a screen or a mask: the person must be in front of the camera" },
    { SL_LR_UNDETERMINED, "liveness_undetermined",
      "无法判断，请在光线均匀的地方重试", "cannot judge: try again in even lighting" },
    { SL_LR_EXPIRED, "challenge_expired",
      "验证已超时，请重新开始", "the check has expired: please start again" },
    { SL_LR_DIGIT_MISSED, "digit_missed",
      "请在每个数字出现时把它读出来", "please read each digit aloud as it appears" },
    { SL_LR_DIGIT_EXTRA, "digit_extra",
      "请每个数字只读一次", "please read each digit only once, as it appears" },
    { SL_LR_FRAME_GAP, "frame_gap",
      "视频不连续，请检查网络后重试", "the video was interrupted: check your connection and try again" },
    { SL_LR_NO_CONTEXT, "no_context",
      "无法判断：请后退一些，让头部和双肩都在画面中",
      "cannot judge: move back so your whole head and shoulders are visible" },
    { SL_LR_FACE_SMALL, "face_small",
      "无法判断：请靠近摄像头", "cannot judge: move closer to the camera" },
    { SL_LR_BEFORE_ISSUE, "frames_before_issue",
      "画面早于本次验证的开始时间，请开始验证后再按提示做动作",
      "every frame was taken before the check began: start the check, then follow the prompts" },
};
_Static_assert(sizeof(live_reasons) / sizeof(live_reasons[0]) == SL_LR_MAX + 1,
               "one row per liveness reason");

static const struct text_row actions[] = {
    { SL_ACT_BLINK, "blink", "请眨眼", "please blink" },
    { SL_ACT_TURN_LEFT, "turn_left", "请向左转头", "please turn your head to your left" },
    { SL_ACT_TURN_RIGHT, "turn_right", "请向右转头", "please turn your head to your right" },
    { SL_ACT_NOD, "nod", "请点头", "please nod" },
    { SL_ACT_OPEN_MOUTH, "open_mouth", "请张嘴", "please open your mouth" },
    { SL_ACT_READ_DIGITS, "read_digits", "请读出屏幕上的数字",
      "please read the digits on the screen aloud" },
};
_Static_assert(sizeof(actions) / sizeof(actions[0]) == SL_ACT_MAX,
               "one row per action");

static const struct text_row *find_row(const struct text_row *rows, size_t n,
                                       int code)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].code == code)
            return &rows[i];
    return NULL;
}

const char *sl_live_reason_name(enum sl_live_reason r)
{
    const struct text_row *row = find_row(live_reasons, SL_ARRAY_LEN(live_reasons), r);
    return row ? row->name : "unknown";
}

const char *sl_live_reason_msg(enum sl_live_reason r, enum sl_lang lang)
{
    const struct text_row *row = find_row(live_reasons, SL_ARRAY_LEN(live_reasons), r);
    if (!row)
        return lang == SL_LANG_ZH ? "未知原因" : "unknown reason";
    return lang == SL_LANG_ZH ? row->zh : row->en;
}

const char *sl_action_name(enum sl_action a)
{
    const struct text_row *row = find_row(actions, SL_ARRAY_LEN(actions), a);
    return row ? row->name : "unknown";
}

bool sl_action_parse(const char *name, enum sl_action *out)
{
    for (size_t i = 0; name && i < SL_ARRAY_LEN(actions); i++)
        if (strcmp(actions[i].name, name) == 0) {
            *out = (enum sl_action)actions[i].code;
            return true;
        }
    return false;
}

const char *sl_action_prompt(enum sl_action a, enum sl_lang lang)
{
    const struct text_row *row = find_row(actions, SL_ARRAY_LEN(actions), a);
    if (!row)
        return lang == SL_LANG_ZH ? "未知动作" : "unknown action";
    return lang == SL_LANG_ZH ? row->zh : row->en;
}

const char *sl_challenge_step_msg(char *buf, size_t cap,
                                  const sl_challenge_step_result *s,
                                  enum sl_lang lang)
{
    if (!buf || cap == 0)
        return buf;
    if (!s) {
        buf[0] = 0;
        return buf;
    }
    const char *why = sl_live_reason_msg((enum sl_live_reason)s->reason, lang);
    const char *what = sl_action_prompt((enum sl_action)s->action, lang);
    if (s->pass)
        snprintf(buf, cap, "%s", why);
    else
        snprintf(buf, cap, "%s%s%s", why, lang == SL_LANG_ZH ? "：" : ": ", what);
    return buf;
}

/* ---- passive decision ---- */

sl_passive_thresholds sl_passive_defaults(void)
{
    return (sl_passive_thresholds){
        .live_min = 0.6f, .spoof_max = 0.3f, .min_context = 0.7f,
        .min_face_px = 80.0f,
    };
}

sl_passive_decision sl_passive_decide(float score, float context_ratio,
                                      float face_px,
                                      const sl_passive_thresholds *th)
{
    sl_passive_thresholds d = sl_passive_defaults();
    if (!th)
        th = &d;
    sl_passive_decision r = { SL_PASSIVE_UNDETERMINED, SL_LR_UNDETERMINED, score };
    /* unknown context or size counts as missing: fail closed */
    if (!(context_ratio >= th->min_context))
        r.reason = SL_LR_NO_CONTEXT;
    else if (!(face_px >= th->min_face_px))
        r.reason = SL_LR_FACE_SMALL;
    else if (isnan(score))
        r.reason = SL_LR_UNDETERMINED;
    else if (score >= th->live_min) {
        r.verdict = SL_PASSIVE_LIVE;
        r.reason = SL_LR_OK;
    } else if (score <= th->spoof_max) {
        r.verdict = SL_PASSIVE_SPOOF;
        r.reason = SL_LR_SPOOF;
    }
    return r;
}

float sl_face_context_ratio(float x0, float y0, float x1, float y1,
                            float scale, int32_t w, int32_t h)
{
    if (!(x1 > x0) || !(y1 > y0) || !(scale > 0) || w <= 0 || h <= 0 ||
        !isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return 0;
    double cx = ((double)x0 + x1) / 2, cy = ((double)y0 + y1) / 2;
    double hw = ((double)x1 - x0) * scale / 2, hh = ((double)y1 - y0) * scale / 2;
    double ix = SL_MAX(0.0, SL_MIN(cx + hw, (double)w) - SL_MAX(cx - hw, 0.0));
    double iy = SL_MAX(0.0, SL_MIN(cy + hh, (double)h) - SL_MAX(cy - hh, 0.0));
    return (float)(ix * iy / (4 * hw * hh));
}

float sl_face_mouth_open_ratio(const sl_point2f lm[SL_FACE_LANDMARKS])
{
    if (!lm)
        return NAN;
    static const int top[3] = { 61, 62, 63 }, bot[3] = { 67, 66, 65 };
    double gap = 0;
    for (int i = 0; i < 3; i++)
        gap += hypot((double)lm[top[i]].x - lm[bot[i]].x,
                     (double)lm[top[i]].y - lm[bot[i]].y);
    double width = hypot((double)lm[48].x - lm[54].x, (double)lm[48].y - lm[54].y);
    if (!(width > 0) || !isfinite(gap))
        return NAN;
    return (float)(gap / 3 / width);
}

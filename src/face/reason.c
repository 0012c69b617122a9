/*
 * reason.c -- zh/en text for the outcomes a citizen may see, keyed by
 * status code (sl_face_reason_text, face.h). The CLI puts it next to the
 * machine code in its error JSON; the server can answer with the same.
 */
#include <stddef.h>

#include "base/base.h"
#include "shualian/face.h"

struct reason_row {
    int         code;
    const char *zh;
    const char *en;
};

static const struct reason_row rows[] = {
    { SL_NO_FACE, "未检测到人脸，请正对摄像头",
      "no face found: please look straight at the camera" },
    { SL_ERR_IMG_EMPTY, "照片是空的，请重新拍摄或上传",
      "the photo is empty: please take or upload it again" },
    { SL_ERR_IMG_FORMAT, "照片格式不支持，请上传 JPEG 或 PNG 照片",
      "this photo format is not supported: please upload a JPEG or PNG photo" },
    { SL_ERR_IMG_TRUNCATED, "照片不完整（上传中断？），请重新上传",
      "the photo is incomplete (interrupted upload?): please upload it again" },
    { SL_ERR_IMG_CORRUPT, "照片已损坏，请重新拍摄或上传",
      "the photo is damaged: please take or upload it again" },
    { SL_ERR_IMG_DIMENSIONS, "照片已损坏，请重新拍摄或上传",
      "the photo is damaged: please take or upload it again" },
    { SL_ERR_IMG_BYTES, "照片文件太大，请上传较小的照片",
      "the photo file is too large: please upload a smaller photo" },
    { SL_ERR_IMG_WIDTH, "照片尺寸太大，请上传较小的照片",
      "the photo is too large: please upload a smaller photo" },
    { SL_ERR_IMG_HEIGHT, "照片尺寸太大，请上传较小的照片",
      "the photo is too large: please upload a smaller photo" },
    { SL_ERR_IMG_PIXELS, "照片尺寸太大，请上传较小的照片",
      "the photo is too large: please upload a smaller photo" },
    { SL_ERR_IMG_UNSUPPORTED, "照片格式不支持，请另存为普通 JPEG 或 PNG 后上传",
      "this kind of photo is not supported: please save it as a plain JPEG or PNG" },
    { SL_ERR_CHALLENGE_EXPIRED, "验证已超时，请重新开始",
      "the check has expired: please start again" },
    { SL_ERR_CHALLENGE_USED, "本次验证已使用，请重新开始",
      "this check has already been used: please start again" },
    { SL_ERR_CHALLENGE_UNKNOWN, "验证无效，请重新开始",
      "this check is not valid: please start again" },
    { SL_ERR_CHALLENGE_FULL, "系统繁忙，请稍后再试",
      "the system is busy: please try again shortly" },
    { SL_ERR_CHALLENGE_FORMAT, "验证数据有误，请重新开始",
      "the check data is not valid: please start again" },
    { SL_ERR_CHALLENGE_SIGNAL, "验证数据有误，请重新开始",
      "the check data is not valid: please start again" },
};

const char *sl_face_reason_text(int code, enum sl_lang lang)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(rows); i++)
        if (rows[i].code == code)
            return lang == SL_LANG_ZH ? rows[i].zh : rows[i].en;
    return NULL;
}

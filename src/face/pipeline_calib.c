/*
 * pipeline_calib.c -- where the face engine finds its calibration table
 * (engine.h: sl_face_calib_load_default). The built-in copy is generated
 * from share/shualian/face-calib.json by scripts/face_calib_builtin.py into
 * pipeline_calib_data.c, so a library installed without its data folder
 * still decides with measured thresholds.
 */
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "shualian/engine.h"

#ifndef SL_DATADIR
#define SL_DATADIR "/usr/local/share"
#endif

extern const char sl__face_calib_builtin[];

sl_status sl_face_calib_load_default(sl_calib *out, const char *path)
{
    if (!out)
        return SL_ERR_INVALID;
    if (path && *path)
        return sl_calib_load(out, path);
    static const char *const tries[] = {
        "share/shualian/face-calib.json",
        SL_DATADIR "/shualian/face-calib.json",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(tries); i++)
        if (access(tries[i], R_OK) == 0)
            return sl_calib_load(out, tries[i]);
    return sl_calib_parse(out, sl__face_calib_builtin, strlen(sl__face_calib_builtin));
}

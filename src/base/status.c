/*
 * status.c -- names and messages for the status space (status.h).
 */
#include <stddef.h>

#include "shualian/status.h"

struct status_row {
    int         code;
    const char *name;      /* stable snake_case machine code */
    const char *msg;       /* short English sentence          */
};

static const struct status_row rows[] = {
    { SL_OK,                 "ok",                "success" },
    { SL_ERR_NOMEM,          "nomem",             "out of memory" },
    { SL_ERR_INVALID,        "invalid",           "invalid input" },
    { SL_ERR_IO,             "io",                "input/output error" },
    { SL_ERR_TOO_LARGE,      "too_large",         "input exceeds a configured limit" },
    { SL_ERR_NOT_FOUND,      "not_found",         "not found" },
    { SL_ERR_UNSUPPORTED,    "unsupported",       "not supported" },
    { SL_ERR_STATE,          "state",             "operation not allowed in the current state" },
    { SL_ERR_CORRUPT,        "corrupt",           "stored data is corrupt" },
    { SL_ERR_INTERNAL,       "internal",          "internal error (a bug; please report it)" },
    { SL_ERR_DENIED,         "denied",            "refused by policy" },
    { SL_ERR_EXPIRED,        "expired",           "expired" },
    { SL_NO_FACE,            "no_face",           "no face found in the image" },
    { SL_ERR_IMG_EMPTY,      "img_empty",         "the image is empty (0 bytes)" },
    { SL_ERR_IMG_FORMAT,     "img_format",        "not a JPEG or PNG image" },
    { SL_ERR_IMG_TRUNCATED,  "img_truncated",     "the image data ends too early (truncated upload?)" },
    { SL_ERR_IMG_CORRUPT,    "img_corrupt",       "the image data is corrupt" },
    { SL_ERR_IMG_DIMENSIONS, "img_dimensions",    "the image has a zero width or height" },
    { SL_ERR_IMG_BYTES,      "img_bytes",         "the image file is larger than allowed" },
    { SL_ERR_IMG_WIDTH,      "img_width",         "the image is wider than allowed" },
    { SL_ERR_IMG_HEIGHT,     "img_height",        "the image is taller than allowed" },
    { SL_ERR_IMG_PIXELS,     "img_pixels",        "the image has more pixels than allowed" },
    { SL_ERR_IMG_UNSUPPORTED, "img_unsupported",  "the image uses a JPEG/PNG variant we do not decode" },
    { SL_ERR_MODEL_FORMAT,   "model_format",      "the model file is not a readable ONNX model" },
    { SL_ERR_MODEL_OP,       "model_op",          "the model uses an operator or attribute we do not support" },
    { SL_ERR_MODEL_SHAPE,    "model_shape",       "the input does not have the shape the model expects" },
    { SL_ERR_FACE_TEMPLATE_MISMATCH, "face_template_mismatch", "the templates come from different models or dimensions" },
    { SL_ERR_FACE_TEMPLATE_FORMAT, "face_template_format", "the face template is not in a readable format" },
    { SL_ERR_FACE_DEGENERATE, "face_degenerate_points", "the face points are degenerate (all equal or collinear)" },
    { SL_ERR_FACE_CALIB_FORMAT, "face_calib_format", "the calibration file is not in the expected format" },
    { SL_ERR_CHALLENGE_FORMAT, "challenge_format", "the challenge or frame-signal data is malformed" },
    { SL_ERR_CHALLENGE_USED, "challenge_used", "the challenge nonce has already been used" },
    { SL_ERR_CHALLENGE_EXPIRED, "challenge_expired", "the challenge has expired" },
    { SL_ERR_CHALLENGE_UNKNOWN, "challenge_unknown", "the challenge nonce is unknown" },
    { SL_ERR_CHALLENGE_FULL, "challenge_registry_full", "too many open challenges" },
    { SL_ERR_INDEX_DIM,      "index_dim",         "the vector does not have the index's dimension" },
    { SL_ERR_INDEX_DUP,      "index_dup",         "the id is already in the index" },
    { SL_ERR_INDEX_VECTOR,   "index_vector",      "the vector is zero or not finite" },
    { SL_ERR_INDEX_FORMAT,   "index_format",      "not an index file (bad magic or header)" },
    { SL_ERR_INDEX_CHECKSUM, "index_checksum",    "an index file failed its checksum" },
    { SL_ERR_INDEX_TRUNCATED,"index_truncated",   "the index snapshot is cut short" },
    { SL_ERR_INDEX_VERSION,  "index_version",     "the index file has a version we do not read" },
    { SL_ERR_INDEX_FULL,     "index_full",        "the index reached its row capacity" },
    { SL_ERR_INDEX_EXISTS,   "index_exists",      "the directory already holds an index" },
    { SL_ERR_INDEX_LOCKED,   "index_locked",      "another writer holds the index (its lock file names the pid)" },
    { SL_ERR_INDEX_READONLY, "index_readonly",    "the index was opened read-only" },
    { SL_ERR_INDEX_DAMAGED,  "index_damaged",     "the index log has a damaged record before its end (run index verify --repair)" },
    { SL_ERR_INDEX_MODEL,    "index_model",       "the template's model differs from the collection's model" },
    { SL_ERR_INDEX_ID,       "index_id",          "the id is above the index's largest id (2^63-1)" },
    { SL_ERR_FACE_MODELS_MISSING, "face_models_missing", "a face model file is missing (see --models / SL_MODELS)" },
    { SL_ERR_FACE_MODEL_SHAPE, "face_model_shape", "a face model does not have the expected inputs or outputs" },
    { SL_ERR_FACE_MODEL_NOT_LOADED, "face_model_not_loaded", "the face model needed for this step is not loaded" },
};

static const struct status_row *find(int st)
{
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == st)
            return &rows[i];
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].code == SL_STATUS_PRIMARY(st))
            return &rows[i];
    return NULL;
}

const char *sl_status_str(int st)
{
    const struct status_row *r = find(st);
    return r ? r->msg : "unknown status code";
}

const char *sl_status_name(int st)
{
    const struct status_row *r = find(st);
    return r ? r->name : "unknown";
}

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
    { SL_ERR_FACE_THRESHOLD_SPEC, "face_threshold_spec", "the threshold is not far:X (a false-accept rate) or raw:X (a cosine)" },
    { SL_ERR_FACE_FAR_UNSUPPORTED, "face_far_unsupported", "the calibration cannot support that false-accept rate" },
    { SL_ERR_FACE_CALIB_MODEL, "face_calib_model", "the calibration was measured for another embedding model" },
    { SL_ERR_CHALLENGE_FORMAT, "challenge_format", "the challenge or frame-signal data is malformed" },
    { SL_ERR_CHALLENGE_USED, "challenge_used", "the challenge nonce has already been used" },
    { SL_ERR_CHALLENGE_EXPIRED, "challenge_expired", "the challenge has expired" },
    { SL_ERR_CHALLENGE_UNKNOWN, "challenge_unknown", "the challenge nonce is unknown" },
    { SL_ERR_CHALLENGE_FULL, "challenge_registry_full", "too many open challenges" },
    { SL_ERR_CHALLENGE_SIGNAL, "challenge_signal", "a frame signal is outside its range (similarity -1..1, scores and eye/mouth openness 0..1, angles -180..180)" },
    { SL_ERR_INDEX_DIM,      "index_dim",         "the vector does not have the index's dimension" },
    { SL_ERR_INDEX_DUP,      "index_dup",         "the id is already in the index" },
    { SL_ERR_INDEX_VECTOR,   "index_vector",      "the vector is zero or not finite" },
    { SL_ERR_INDEX_FORMAT,   "index_format",      "not an index file (bad magic or header)" },
    { SL_ERR_INDEX_CHECKSUM, "index_checksum",    "an index file failed its checksum" },
    { SL_ERR_INDEX_TRUNCATED,"index_truncated",   "the index snapshot is cut short" },
    { SL_ERR_INDEX_VERSION,  "index_version",     "the index file has a version we do not read" },
    { SL_ERR_INDEX_FULL,     "index_full",        "the index reached its row capacity" },
    { SL_ERR_INDEX_EXISTS,   "index_exists",      "the directory already holds an index" },
    { SL_ERR_CAL_FORMAT,     "calendar_format",   "the working-day calendar file is malformed" },
    { SL_ERR_CAL_RANGE,      "calendar_range",    "the date lies in a year the working-day calendar has no notice for" },
    { SL_ERR_RULES_FORMAT,   "rules_format",      "an eligibility rule is malformed" },
    { SL_ERR_MATTER_FORMAT,  "matter_format",     "a service-matter catalogue entry is malformed" },
    { SL_ERR_MATTER_UNKNOWN, "matter_unknown",    "no service matter has that code" },
    { SL_ERR_APP_TRANSITION, "application_transition", "the application cannot take that step in its current state" },
    { SL_ERR_APP_FORBIDDEN,  "application_forbidden", "that step of the application is not yours to take" },
    { SL_ERR_EXCHANGE_SOURCE, "exchange_source",  "no such shared-data source or field" },
    { SL_ERR_EXCHANGE_FORMAT, "exchange_format",  "a shared-data file is malformed" },
    { SL_ERR_LICENCE_ID,     "licence_id",        "the electronic licence identifier is malformed or its check character is wrong" },
    { SL_ERR_ESIGN_FORMAT,   "esign_format",      "the electronic signature record is malformed" },
    { SL_ERR_LIC_REVOKED,    "licence_revoked",   "the electronic licence or credential has been revoked" },
    { SL_ERR_LIC_SUSPENDED,  "licence_suspended", "the electronic licence is suspended" },
    { SL_ERR_LIC_CONSENT,    "licence_consent",   "a requested licence field is not covered by the holder's consent" },
    { SL_ERR_CRED_LIMIT,     "credential_limit",  "the monthly limit of temporary credentials for this person is reached" },
    { SL_ERR_LIC_EXPIRED,    "licence_expired",   "the electronic licence or credential is outside its validity" },
    { SL_ERR_LIC_TRANSITION, "licence_transition", "the licence cannot take that status step from its current status" },
    { SL_ERR_ID_TYPE,        "id_type",           "unknown identity document type" },
    { SL_ERR_ID_LENGTH,      "id_length",         "the document number has the wrong length" },
    { SL_ERR_ID_CHARS,       "id_characters",     "the document number contains characters it cannot hold" },
    { SL_ERR_ID_REGION,      "id_region",         "the ID number's region code does not exist" },
    { SL_ERR_ID_BIRTH_DATE,  "id_birth_date",     "the birth date in the ID number is impossible" },
    { SL_ERR_ID_CHECK_DIGIT, "id_check_digit",    "the ID number's check character is wrong (a typing error?)" },
    { SL_ERR_ID_FORMAT,      "id_format",         "the document number does not have the format of its type" },
    { SL_ERR_INDEX_LOCKED,   "index_locked",      "another writer holds the index (its lock file names the pid)" },
    { SL_ERR_INDEX_READONLY, "index_readonly",    "the index was opened read-only" },
    { SL_ERR_INDEX_DAMAGED,  "index_damaged",     "the index log has a damaged record before its end (run index verify --repair)" },
    { SL_ERR_INDEX_MODEL,    "index_model",       "the template's model differs from the collection's model" },
    { SL_ERR_INDEX_ID,       "index_id",          "the id is above the index's largest id (2^63-1)" },
    { SL_ERR_FACE_MODELS_MISSING, "face_models_missing", "a face model file is missing (see --models / SL_MODELS)" },
    { SL_ERR_FACE_MODEL_SHAPE, "face_model_shape", "a face model does not have the expected inputs or outputs" },
    { SL_ERR_FACE_MODEL_NOT_LOADED, "face_model_not_loaded", "the face model needed for this step is not loaded" },
    { SL_ERR_STORE_URL,      "store_url",         "the store URL is not sqlite:PATH or postgresql://..." },
    { SL_ERR_STORE_PARAM,    "store_param",       "a database parameter is invalid (NUL in text or wrong count)" },
    { SL_ERR_STORE_CONNECT,  "store_connect",     "cannot open or connect to the database" },
    { SL_ERR_STORE_IO,       "store_io",          "the database reported an error" },
    { SL_ERR_STORE_BUSY,     "store_busy",        "the database is busy (lock timeout or serialization failure); retry" },
    { SL_ERR_STORE_CONSTRAINT, "store_constraint", "a database constraint was violated (duplicate or missing reference)" },
    { SL_ERR_STORE_USED,     "store_used",        "the single-use key has already been used" },
    { SL_ERR_STORE_SCHEMA_NEWER, "store_schema_newer", "the database schema is newer than this program: upgrade shualian" },
    { SL_ERR_STORE_SCHEMA,   "store_schema",      "the database schema table does not match this program" },
    { SL_ERR_STORE_RATE,     "store_rate_limited", "rate limit reached; retry later" },
    { SL_ERR_STORE_BACKUP,   "store_backup",      "the database backup failed or is not supported for this backend" },
    { SL_ERR_CRYPTO_LIB,     "crypto_lib",        "the cryptographic library failed" },
    { SL_ERR_CRYPTO_AUTH,    "crypto_auth",       "encrypted data failed authentication (tampered, wrong key or context)" },
    { SL_ERR_CRYPTO_FORMAT,  "crypto_format",     "not a sealed or signed blob of a known format" },
    { SL_ERR_CRYPTO_SUITE,   "crypto_suite",      "the data or key file belongs to another cryptographic suite" },
    { SL_ERR_CRYPTO_KEY_UNKNOWN, "crypto_key_unknown", "the key id is not in the key file" },
    { SL_ERR_CRYPTO_SIGNATURE, "crypto_signature", "the signature does not verify" },
    { SL_ERR_CRYPTO_KEYFILE_MODE, "crypto_keyfile_mode", "the key file may be read or written by group or others (chmod 600)" },
    { SL_ERR_CRYPTO_KEYFILE, "crypto_keyfile",    "the key file is malformed" },
    { SL_ERR_FACE_MODEL_CHECKSUM, "face_model_checksum", "a face model file does not match its shipped checksum" },
    { SL_ERR_HTTP_JSON,      "http_json",         "the request body is not valid JSON" },
    { SL_ERR_HTTP_UTF8,      "http_utf8",         "the request contains invalid UTF-8" },
    { SL_ERR_HTTP_NUL,       "http_nul",          "a string in the request contains a NUL character" },
    { SL_ERR_HTTP_FIELD_UNKNOWN, "http_field_unknown", "the request has a field the route does not accept" },
    { SL_ERR_HTTP_FIELD_MISSING, "http_field_missing", "a required field is missing" },
    { SL_ERR_HTTP_FIELD_TYPE, "http_field_type",  "a field has the wrong type" },
    { SL_ERR_HTTP_FIELD_VALUE, "http_field_value", "a field value is out of range or not allowed" },
    { SL_ERR_HTTP_PARAM,     "http_param",        "a path or query parameter is invalid" },
    { SL_ERR_HTTP_DEPTH,     "http_depth",        "the JSON body is nested too deeply" },
    { SL_ERR_HTTP_BODY,      "http_body_too_large", "the request body is larger than this route accepts" },
    { SL_ERR_HTTP_CONTENT_TYPE, "http_content_type", "the request body must be application/json" },
    { SL_ERR_HTTP_METHOD,    "http_method",       "the method is not allowed on this path" },
    { SL_ERR_HTTP_ROUTE,     "http_route",        "no such route" },
    { SL_ERR_HTTP_AUTH,      "http_auth",         "credentials are missing or invalid" },
    { SL_ERR_HTTP_FORBIDDEN, "http_forbidden",    "your role or device class may not call this route" },
    { SL_ERR_HTTP_RATE,      "http_rate_limited", "too many requests; retry later" },
    { SL_ERR_HTTP_BUSY,      "http_busy",         "all face engines are busy; retry later" },
    { SL_ERR_HTTP_STOPPING,  "http_stopping",     "the server is shutting down" },
    { SL_ERR_HTTP_UNAVAILABLE, "http_unavailable", "the service needed by this route is not available" },
    { SL_ERR_ACCT_LOGIN,     "acct_login",        "wrong username or password" },
    { SL_ERR_ACCT_LOCKED,    "acct_locked",       "too many failed logins; the account is locked for a while" },
    { SL_ERR_ACCT_DISABLED,  "acct_disabled",     "the account is disabled" },
    { SL_ERR_ACCT_DEVICE,    "acct_device",       "the device credential is unknown, wrong or revoked" },
    { SL_ERR_ACCT_SESSION,   "acct_session",      "the session has expired or was revoked; log in again" },
    { SL_ERR_ACCT_EXISTS,    "acct_exists",       "the name is already taken" },
    { SL_ERR_ACCT_PASSWORD,  "acct_password",     "the password is too short (at least 8 characters)" },
    { SL_ERR_AUDIT_FIELD,    "audit_field",       "an audit record field is missing or too long" },
    { SL_ERR_AUDIT_BROKEN,   "audit_broken",      "the audit chain is damaged (see shualian audit verify)" },
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

/*
 * status.h -- the one status space of libshualian.
 *
 * 0 is success. Numbers are ABI: append, never renumber. An extended code
 * is a primary code with detail in bits 8..15 (SL_ERR_IMG_TRUNCATED is an
 * SL_ERR_INVALID); SL_STATUS_PRIMARY() recovers the primary code.
 * sl_status_str() and sl_status_name() never return NULL and never allocate.
 */
#ifndef SHUALIAN_STATUS_H
#define SHUALIAN_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SL_API __attribute__((visibility("default")))
#define SL_NODISCARD __attribute__((warn_unused_result))
#else
#define SL_API
#define SL_NODISCARD
#endif

typedef enum sl_status {
    SL_OK              = 0,  /* success                                        */
    SL_ERR_NOMEM       = 1,  /* an allocation failed                           */
    SL_ERR_INVALID     = 2,  /* caller input rejected: bad image, wrong shape  */
    SL_ERR_IO          = 3,  /* file/socket/db error; errno kept in the log    */
    SL_ERR_TOO_LARGE   = 4,  /* input exceeded a configured limit              */
    SL_ERR_NOT_FOUND   = 5,  /* no such file/person/face/id                    */
    SL_ERR_UNSUPPORTED = 6,  /* valid input we do not handle (op, format)      */
    SL_ERR_STATE       = 7,  /* call not allowed now (used nonce, closed)      */
    SL_ERR_CORRUPT     = 8,  /* stored data failed a checksum or format check  */
    SL_ERR_INTERNAL    = 9,  /* a bug of ours: please report it                */
    SL_ERR_DENIED      = 10, /* refused by policy (auth, consent, rate limit)  */
    SL_ERR_EXPIRED     = 11, /* token, challenge or credential past its time   */
    SL_NO_FACE         = 100,/* not an error: the image contains no face       */
} sl_status;

#define SL_STATUS_PRIMARY(st) ((st) & 0xff)

/* Extended codes: image input (img/). */
#define SL_ERR_IMG_EMPTY        (SL_ERR_INVALID   | (1 << 8))  /* zero bytes            */
#define SL_ERR_IMG_FORMAT       (SL_ERR_UNSUPPORTED | (1 << 8))/* not JPEG/PNG (magic)  */
#define SL_ERR_IMG_TRUNCATED    (SL_ERR_INVALID   | (2 << 8))  /* data ends early       */
#define SL_ERR_IMG_CORRUPT      (SL_ERR_INVALID   | (3 << 8))  /* decoder rejected data */
#define SL_ERR_IMG_DIMENSIONS   (SL_ERR_INVALID   | (4 << 8))  /* zero width or height  */
#define SL_ERR_IMG_BYTES        (SL_ERR_TOO_LARGE | (1 << 8))  /* input over max bytes  */
#define SL_ERR_IMG_WIDTH        (SL_ERR_TOO_LARGE | (2 << 8))  /* width over limit      */
#define SL_ERR_IMG_HEIGHT       (SL_ERR_TOO_LARGE | (3 << 8))  /* height over limit     */
#define SL_ERR_IMG_PIXELS       (SL_ERR_TOO_LARGE | (4 << 8))  /* w*h over limit (bomb) */
#define SL_ERR_IMG_UNSUPPORTED  (SL_ERR_UNSUPPORTED | (5 << 8))/* JPEG/PNG variant we do
                                                                 not decode (12-bit,
                                                                 odd colour space)   */

/* Extended codes: models (nn/). */
#define SL_ERR_MODEL_FORMAT     (SL_ERR_INVALID   | (16 << 8)) /* not a readable ONNX   */
#define SL_ERR_MODEL_OP         (SL_ERR_UNSUPPORTED | (16 << 8))/* op/attr unsupported   */
#define SL_ERR_MODEL_SHAPE      (SL_ERR_INVALID   | (17 << 8)) /* input shape mismatch  */

/* Extended codes: face engine (face/), details 48..63. */
#define SL_ERR_FACE_TEMPLATE_MISMATCH (SL_ERR_INVALID | (48 << 8))    /* other model/dim   */
#define SL_ERR_FACE_TEMPLATE_FORMAT   (SL_ERR_CORRUPT | (48 << 8))    /* bad template bytes*/
#define SL_ERR_FACE_DEGENERATE        (SL_ERR_INVALID | (49 << 8))    /* points collapse   */
#define SL_ERR_FACE_CALIB_FORMAT      (SL_ERR_INVALID | (50 << 8))    /* bad calib file    */
#define SL_ERR_CHALLENGE_FORMAT       (SL_ERR_INVALID | (51 << 8))    /* bad challenge/sig */
#define SL_ERR_FACE_THRESHOLD_SPEC    (SL_ERR_INVALID | (52 << 8))    /* not far:X / raw:X */
#define SL_ERR_FACE_FAR_UNSUPPORTED   (SL_ERR_INVALID | (53 << 8))    /* FAR outside calib */
#define SL_ERR_FACE_CALIB_MODEL       (SL_ERR_INVALID | (54 << 8))    /* calib of other model */
#define SL_ERR_CHALLENGE_USED         (SL_ERR_STATE   | (48 << 8))    /* nonce replayed    */
#define SL_ERR_CHALLENGE_EXPIRED      (SL_ERR_EXPIRED | (48 << 8))    /* past expires_at   */
#define SL_ERR_CHALLENGE_UNKNOWN      (SL_ERR_NOT_FOUND | (48 << 8))  /* never issued here */
#define SL_ERR_CHALLENGE_FULL         (SL_ERR_TOO_LARGE | (48 << 8))  /* registry full     */
#define SL_ERR_CHALLENGE_SIGNAL       (SL_ERR_INVALID | (60 << 8))    /* signal off range  */
/* Extended codes: the 1:N index (index/). */
#define SL_ERR_INDEX_DIM        (SL_ERR_INVALID   | (32 << 8)) /* vector dim mismatch   */
#define SL_ERR_INDEX_DUP        (SL_ERR_INVALID   | (33 << 8)) /* id already present    */
#define SL_ERR_INDEX_VECTOR     (SL_ERR_INVALID   | (34 << 8)) /* zero/non-finite vector*/
#define SL_ERR_INDEX_FORMAT     (SL_ERR_CORRUPT   | (32 << 8)) /* not an index file     */
#define SL_ERR_INDEX_CHECKSUM   (SL_ERR_CORRUPT   | (33 << 8)) /* checksum mismatch     */
#define SL_ERR_INDEX_TRUNCATED  (SL_ERR_CORRUPT   | (34 << 8)) /* snapshot cut short    */
#define SL_ERR_INDEX_VERSION    (SL_ERR_UNSUPPORTED | (32 << 8))/* unknown file version */
#define SL_ERR_INDEX_FULL       (SL_ERR_TOO_LARGE | (32 << 8)) /* row capacity reached  */
#define SL_ERR_INDEX_EXISTS     (SL_ERR_STATE     | (32 << 8)) /* dir holds an index    */
#define SL_ERR_INDEX_LOCKED     (SL_ERR_STATE     | (33 << 8)) /* another writer has it */
#define SL_ERR_INDEX_READONLY   (SL_ERR_STATE     | (34 << 8)) /* opened read-only      */
#define SL_ERR_INDEX_DAMAGED    (SL_ERR_CORRUPT   | (35 << 8)) /* bad record mid-log    */
#define SL_ERR_INDEX_MODEL      (SL_ERR_INVALID   | (35 << 8)) /* template model differs*/
#define SL_ERR_INDEX_ID         (SL_ERR_INVALID   | (36 << 8)) /* id > SL_INDEX_ID_MAX  */

/* Extended codes: face engine pipeline (face/pipeline*), details 64..79. */
#define SL_ERR_FACE_MODELS_MISSING    (SL_ERR_NOT_FOUND | (64 << 8))  /* model file absent */
#define SL_ERR_FACE_MODEL_SHAPE       (SL_ERR_INVALID | (64 << 8))    /* unexpected I/O    */
#define SL_ERR_FACE_MODEL_NOT_LOADED  (SL_ERR_STATE | (64 << 8))      /* model not loaded  */
#define SL_ERR_FACE_MODEL_CHECKSUM    (SL_ERR_CORRUPT | (64 << 8))    /* not the shipped model */

/* Extended codes: the server store (src/store/), details 96..111. */
#define SL_ERR_STORE_URL          (SL_ERR_INVALID     | (96 << 8))  /* bad or unknown store URL     */
#define SL_ERR_STORE_PARAM        (SL_ERR_INVALID     | (97 << 8))  /* bad parameter (NUL in text, too many) */
#define SL_ERR_STORE_CONNECT      (SL_ERR_IO          | (96 << 8))  /* cannot open/connect          */
#define SL_ERR_STORE_IO           (SL_ERR_IO          | (97 << 8))  /* database error (disk, server, SQL) */
#define SL_ERR_STORE_BUSY         (SL_ERR_STATE       | (96 << 8))  /* lock timeout / serialization failure: retry */
#define SL_ERR_STORE_CONSTRAINT   (SL_ERR_STATE       | (97 << 8))  /* unique/foreign-key/check violated */
#define SL_ERR_STORE_USED         (SL_ERR_STATE       | (98 << 8))  /* single-use key already taken */
#define SL_ERR_STORE_SCHEMA_NEWER (SL_ERR_UNSUPPORTED | (96 << 8))  /* database newer than binary    */
#define SL_ERR_STORE_SCHEMA       (SL_ERR_CORRUPT     | (96 << 8))  /* schema table disagrees with binary */
#define SL_ERR_STORE_RATE         (SL_ERR_DENIED      | (96 << 8))  /* token bucket empty: retry later */
#define SL_ERR_STORE_BACKUP       (SL_ERR_IO          | (98 << 8))  /* backup failed / unsupported  */

/* Extended codes: cryptography (crypto/), details 80..95. */
#define SL_ERR_CRYPTO_LIB          (SL_ERR_INTERNAL | (80 << 8))   /* libcrypto/libsodium failed */
#define SL_ERR_CRYPTO_AUTH         (SL_ERR_CORRUPT | (80 << 8))    /* ciphertext/AD tampered     */
#define SL_ERR_CRYPTO_FORMAT       (SL_ERR_INVALID | (80 << 8))    /* not a sealed/signed blob   */
#define SL_ERR_CRYPTO_SUITE        (SL_ERR_UNSUPPORTED | (80 << 8))/* blob/key file of other suite */
#define SL_ERR_CRYPTO_KEY_UNKNOWN  (SL_ERR_NOT_FOUND | (80 << 8))  /* key id not in the key file */
#define SL_ERR_CRYPTO_SIGNATURE    (SL_ERR_DENIED | (80 << 8))     /* signature does not verify  */
#define SL_ERR_CRYPTO_KEYFILE_MODE (SL_ERR_DENIED | (81 << 8))     /* key file group/other access*/
#define SL_ERR_CRYPTO_KEYFILE      (SL_ERR_CORRUPT | (81 << 8))    /* key file malformed         */
/* Extended codes: the HTTP server (http/), details 128..143. */
#define SL_ERR_HTTP_JSON          (SL_ERR_INVALID | (128 << 8))     /* body is not JSON        */
#define SL_ERR_HTTP_UTF8          (SL_ERR_INVALID | (129 << 8))     /* invalid UTF-8           */
#define SL_ERR_HTTP_NUL           (SL_ERR_INVALID | (130 << 8))     /* NUL in a string         */
#define SL_ERR_HTTP_FIELD_UNKNOWN (SL_ERR_INVALID | (131 << 8))     /* field not in the schema */
#define SL_ERR_HTTP_FIELD_MISSING (SL_ERR_INVALID | (132 << 8))     /* required field absent   */
#define SL_ERR_HTTP_FIELD_TYPE    (SL_ERR_INVALID | (133 << 8))     /* field of the wrong type */
#define SL_ERR_HTTP_FIELD_VALUE   (SL_ERR_INVALID | (134 << 8))     /* value out of range/enum */
#define SL_ERR_HTTP_PARAM         (SL_ERR_INVALID | (135 << 8))     /* bad path/query param    */
#define SL_ERR_HTTP_DEPTH         (SL_ERR_TOO_LARGE | (128 << 8))   /* JSON nested too deep    */
#define SL_ERR_HTTP_BODY          (SL_ERR_TOO_LARGE | (129 << 8))   /* body over route limit   */
#define SL_ERR_HTTP_CONTENT_TYPE  (SL_ERR_UNSUPPORTED | (128 << 8)) /* not application/json   */
#define SL_ERR_HTTP_METHOD        (SL_ERR_UNSUPPORTED | (129 << 8)) /* method not allowed      */
#define SL_ERR_HTTP_ROUTE         (SL_ERR_NOT_FOUND | (128 << 8))   /* no such route           */
#define SL_ERR_HTTP_AUTH          (SL_ERR_DENIED | (128 << 8))      /* no/bad credentials      */
#define SL_ERR_HTTP_FORBIDDEN     (SL_ERR_DENIED | (129 << 8))      /* role/class not allowed  */
#define SL_ERR_HTTP_RATE          (SL_ERR_DENIED | (130 << 8))      /* rate limit: retry later */
#define SL_ERR_HTTP_BUSY          (SL_ERR_STATE | (128 << 8))       /* engines busy: retry     */
#define SL_ERR_HTTP_STOPPING      (SL_ERR_STATE | (129 << 8))       /* server shutting down    */
#define SL_ERR_HTTP_UNAVAILABLE   (SL_ERR_STATE | (130 << 8))       /* not configured (models) */

/* Extended codes: accounts (acct/), details 144..159. */
#define SL_ERR_ACCT_LOGIN         (SL_ERR_DENIED | (144 << 8))      /* wrong user or password  */
#define SL_ERR_ACCT_LOCKED        (SL_ERR_DENIED | (145 << 8))      /* too many failed logins  */
#define SL_ERR_ACCT_DISABLED      (SL_ERR_DENIED | (146 << 8))      /* user disabled           */
#define SL_ERR_ACCT_DEVICE        (SL_ERR_DENIED | (147 << 8))      /* bad/revoked device key  */
#define SL_ERR_ACCT_SESSION       (SL_ERR_EXPIRED | (144 << 8))     /* session expired/revoked */
#define SL_ERR_ACCT_EXISTS        (SL_ERR_STATE | (144 << 8))       /* name already taken      */
#define SL_ERR_ACCT_PASSWORD      (SL_ERR_INVALID | (144 << 8))     /* password too weak       */

/* Extended codes: gov (service matters, calendar), details 160..191. */
#define SL_ERR_CAL_FORMAT   (SL_ERR_INVALID     | (160 << 8)) /* bad calendar file   */
#define SL_ERR_CAL_RANGE    (SL_ERR_UNSUPPORTED | (160 << 8)) /* year has no notice  */
#define SL_ERR_RULES_FORMAT (SL_ERR_INVALID     | (161 << 8)) /* bad eligibility rule*/
#define SL_ERR_MATTER_FORMAT (SL_ERR_INVALID    | (162 << 8)) /* bad catalogue entry */
#define SL_ERR_MATTER_UNKNOWN (SL_ERR_NOT_FOUND | (160 << 8)) /* no such matter code */
#define SL_ERR_APP_TRANSITION (SL_ERR_STATE     | (160 << 8)) /* illegal transition  */
#define SL_ERR_APP_FORBIDDEN  (SL_ERR_DENIED    | (160 << 8)) /* not this actor's    */
#define SL_ERR_EXCHANGE_SOURCE (SL_ERR_INVALID  | (163 << 8)) /* unknown source/field*/
#define SL_ERR_EXCHANGE_FORMAT (SL_ERR_CORRUPT  | (160 << 8)) /* bad shared-data file*/
#define SL_ERR_LICENCE_ID     (SL_ERR_INVALID   | (164 << 8)) /* bad GB/T 36904 id   */
/* gov, licences, e-signatures, credentials: details 180..183 */
#define SL_ERR_ESIGN_FORMAT   (SL_ERR_INVALID   | (180 << 8)) /* bad signature record*/
#define SL_ERR_LIC_REVOKED    (SL_ERR_DENIED    | (180 << 8)) /* licence revoked     */
#define SL_ERR_LIC_SUSPENDED  (SL_ERR_DENIED    | (181 << 8)) /* licence suspended   */
#define SL_ERR_LIC_CONSENT    (SL_ERR_DENIED    | (182 << 8)) /* field not consented */
#define SL_ERR_CRED_LIMIT     (SL_ERR_DENIED    | (183 << 8)) /* monthly limit hit   */
#define SL_ERR_LIC_EXPIRED    (SL_ERR_EXPIRED   | (180 << 8)) /* outside validity    */
#define SL_ERR_LIC_TRANSITION (SL_ERR_STATE     | (180 << 8)) /* illegal status step */
/* licences over HTTP (w3-lic): details 188..191 */
#define SL_ERR_LIC_NOT_FOUND  (SL_ERR_NOT_FOUND | (188 << 8)) /* no such licence etc. */
#define SL_ERR_LIC_EXISTS     (SL_ERR_STATE     | (188 << 8)) /* id/code/uscc taken   */
#define SL_ERR_LIC_DATA       (SL_ERR_INVALID   | (188 << 8)) /* fields/type mismatch */
#define SL_ERR_LIC_TAMPERED   (SL_ERR_CORRUPT   | (188 << 8)) /* issuer sig fails     */
#define SL_ERR_PRINT_TOKEN    (SL_ERR_INVALID   | (189 << 8)) /* credential/cert QR
                                                                  or code not ours   */
/* submissions, e-signatures by citizens, delegation (src/gov/sub.h): 184..187 */
#define SL_ERR_SUB_FORMAT      (SL_ERR_INVALID   | (184 << 8)) /* bad filing/party/request */
#define SL_ERR_SUB_QUALITY     (SL_ERR_INVALID   | (185 << 8)) /* face photo too dark/small */
#define SL_ERR_SUB_IDENTITY    (SL_ERR_INVALID   | (186 << 8)) /* name/number not the registry's */
#define SL_ERR_SUB_NOT_FOUND   (SL_ERR_NOT_FOUND | (184 << 8)) /* no such filing/delegation */
#define SL_ERR_SUB_PARTIES     (SL_ERR_DENIED    | (184 << 8)) /* parties not all signed */
#define SL_ERR_SUB_BANK_FACTOR (SL_ERR_DENIED    | (185 << 8)) /* bank-card factor missing */
#define SL_ERR_SUB_NOT_PARTY   (SL_ERR_DENIED    | (186 << 8)) /* not a party of this item */
#define SL_ERR_SUB_FACE        (SL_ERR_DENIED    | (187 << 8)) /* face did not match */
#define SL_ERR_SUB_STATE       (SL_ERR_STATE     | (184 << 8)) /* already acted / submitted */
#define SL_ERR_SUB_EXPIRED     (SL_ERR_EXPIRED   | (184 << 8)) /* item older than 7 days */
#define SL_ERR_SUB_TRANSIENT   (SL_ERR_STATE     | (185 << 8)) /* verification failed: retry */

/* applications over HTTP (src/gov/app.c): gov details 168..171 */
#define SL_ERR_APP_NOT_FOUND   (SL_ERR_NOT_FOUND | (168 << 8)) /* no such application */
#define SL_ERR_APP_CHANNEL     (SL_ERR_INVALID   | (168 << 8)) /* matter not on channel*/
#define SL_ERR_APP_FORM        (SL_ERR_INVALID   | (169 << 8)) /* form/reason missing  */
#define SL_ERR_APP_AUTH        (SL_ERR_DENIED    | (168 << 8)) /* verification missing/used */
#define SL_ERR_APP_CLAIMED     (SL_ERR_STATE     | (168 << 8)) /* another reviewer's   */
#define SL_ERR_MATTER_VERSION  (SL_ERR_STATE     | (169 << 8)) /* version not newer    */
#define SL_ERR_RECEIPT_INVALID (SL_ERR_INVALID   | (170 << 8)) /* receipt QR not ours  */
/* citizen sessions and the elderly allowance (w3-gov): gov details 171..175 */
#define SL_ERR_CITIZEN_LEVEL   (SL_ERR_DENIED    | (171 << 8)) /* login needs 实人/实证 */
#define SL_ERR_ALLOWANCE_STOPPED (SL_ERR_STATE   | (171 << 8)) /* death record: stopped */

/* printables (src/print): detail 248..249 of the web/print range */
#define SL_ERR_PRINT_INPUT    (SL_ERR_INVALID   | (248 << 8)) /* bad text/photo/format */
#define SL_ERR_PRINT_RENDER   (SL_ERR_INTERNAL  | (248 << 8)) /* cairo/QR render failed*/

/* Extended codes: id (identity documents, registry), details 192..223. */
#define SL_ERR_ID_TYPE        (SL_ERR_INVALID | (192 << 8)) /* unknown ID type     */
#define SL_ERR_ID_LENGTH      (SL_ERR_INVALID | (193 << 8)) /* wrong length        */
#define SL_ERR_ID_CHARS       (SL_ERR_INVALID | (194 << 8)) /* bad characters      */
#define SL_ERR_ID_REGION      (SL_ERR_INVALID | (195 << 8)) /* no such region code */
#define SL_ERR_ID_BIRTH_DATE  (SL_ERR_INVALID | (196 << 8)) /* impossible birth day*/
#define SL_ERR_ID_CHECK_DIGIT (SL_ERR_INVALID | (197 << 8)) /* check char mismatch */
#define SL_ERR_ID_FORMAT      (SL_ERR_INVALID | (198 << 8)) /* wrong prefix/shape  */
/* identity codes and kiosk logins (src/id/idcode.h), details 210..215 */
#define SL_ERR_IDCODE_FORMAT    (SL_ERR_INVALID  | (210 << 8)) /* not an identity code */
#define SL_ERR_IDCODE_SIGNATURE (SL_ERR_DENIED   | (210 << 8)) /* forged or altered    */
#define SL_ERR_IDCODE_EXPIRED   (SL_ERR_EXPIRED  | (210 << 8)) /* past its 60 s        */
#define SL_ERR_IDCODE_USED      (SL_ERR_STATE    | (210 << 8)) /* replayed             */
#define SL_ERR_IDCODE_PURPOSE   (SL_ERR_DENIED   | (211 << 8)) /* other purpose/hall   */
#define SL_ERR_IDCODE_NO_QR     (SL_ERR_NOT_FOUND| (210 << 8)) /* no QR in the image   */
#define SL_ERR_KIOSK_LOGIN_DONE (SL_ERR_STATE    | (211 << 8)) /* approved already     */
#define SL_ERR_KIOSK_LOGIN_EXPIRED (SL_ERR_EXPIRED | (211 << 8)) /* login session over */
/* the 24-hour kiosk (web/kiosk), details 230..233 */
#define SL_ERR_KIOSK_CONSENT    (SL_ERR_DENIED   | (230 << 8)) /* licence use not agreed */

/* Extended codes: hall (portrait library, watchlists), details 224..239. */
#define SL_ERR_HALL_CONSENT   (SL_ERR_DENIED    | (224 << 8)) /* no face consent     */
#define SL_ERR_HALL_QUALITY   (SL_ERR_INVALID   | (224 << 8)) /* capture refused     */
#define SL_ERR_HALL_PERSON    (SL_ERR_NOT_FOUND | (224 << 8)) /* no such person      */
#define SL_ERR_HALL_WATCH     (SL_ERR_NOT_FOUND | (225 << 8)) /* no such entry/alarm */
#define SL_ERR_HALL_OTHER     (SL_ERR_DENIED    | (225 << 8)) /* another hall's data */
#define SL_ERR_HALL_MISMATCH  (SL_ERR_DENIED    | (226 << 8)) /* capture != verified person */
#define SL_ERR_HALL_CONFIRM   (SL_ERR_STATE     | (226 << 8)) /* capture not confirmable */
#define SL_ERR_HALL_UNLINKED  (SL_ERR_STATE     | (227 << 8)) /* library person not in registry */
#define SL_ERR_ID_PERSON_UNKNOWN (SL_ERR_NOT_FOUND | (200 << 8)) /* no such person   */
#define SL_ERR_ID_PERSON_EXISTS  (SL_ERR_STATE     | (200 << 8)) /* number registered */
#define SL_ERR_ID_PERSON_STATUS  (SL_ERR_STATE     | (201 << 8)) /* deceased/cancelled*/
#define SL_ERR_ID_VERIF_USED     (SL_ERR_STATE     | (202 << 8)) /* result consumed   */
#define SL_ERR_ID_VERIF_EXPIRED  (SL_ERR_EXPIRED   | (200 << 8)) /* session too old   */
#define SL_ERR_ID_VERIF_BINDING  (SL_ERR_DENIED    | (200 << 8)) /* other person/matter/ref */
#define SL_ERR_ID_VERIF_FAILED   (SL_ERR_DENIED    | (201 << 8)) /* not passed        */
#define SL_ERR_ID_CONSENT        (SL_ERR_DENIED    | (202 << 8)) /* no valid consent  */
#define SL_ERR_ID_NAME_MISMATCH  (SL_ERR_DENIED    | (203 << 8)) /* name != registry  */
#define SL_ERR_ID_DOC_EXPIRED    (SL_ERR_EXPIRED   | (201 << 8)) /* document expired  */
#define SL_ERR_ID_LOCKED         (SL_ERR_DENIED    | (204 << 8)) /* too many failures */
#define SL_ERR_ID_BANK_CARD      (SL_ERR_INVALID   | (200 << 8)) /* bad card number   */
#define SL_ERR_ID_BANK_MISMATCH  (SL_ERR_DENIED    | (205 << 8)) /* bank says no      */
/* verification sessions over HTTP (src/id/vsession.h), details 212..217 */
#define SL_ERR_ID_GUARDIAN       (SL_ERR_DENIED    | (212 << 8)) /* under 14, no guardian */
#define SL_ERR_ID_LIVENESS_MODE  (SL_ERR_DENIED    | (213 << 8)) /* mode not allowed here */
#define SL_ERR_ID_FRAMES_LIMIT   (SL_ERR_TOO_LARGE | (212 << 8)) /* frames over a limit   */
#define SL_ERR_ID_SESSION_DONE   (SL_ERR_STATE     | (212 << 8)) /* session already decided */
#define SL_ERR_ID_NONCE_USED     (SL_ERR_STATE     | (213 << 8)) /* challenge replayed    */
#define SL_ERR_ID_ALTERNATIVE    (SL_ERR_INVALID   | (212 << 8)) /* alternative data bad  */
/* registry enrolment, import and the window first visit (src/id/enrol.h), details 218..223 */
#define SL_ERR_ID_PHOTO_NO_FACE  (SL_ERR_INVALID   | (218 << 8)) /* no face in photo  */
#define SL_ERR_ID_PHOTO_QUALITY  (SL_ERR_INVALID   | (219 << 8)) /* photo not usable  */
#define SL_ERR_ID_IMPORT_CSV     (SL_ERR_INVALID   | (220 << 8)) /* bad CSV header/row*/
#define SL_ERR_ID_NO_TEMPLATE    (SL_ERR_STATE     | (218 << 8)) /* no registry face  */
#define SL_ERR_ID_FACE_MISMATCH  (SL_ERR_DENIED    | (218 << 8)) /* not the person    */

/* Extended codes: the audit chain (src/audit/), details 112..127. */
#define SL_ERR_AUDIT_FIELD        (SL_ERR_INVALID     | (112 << 8)) /* record field missing/too long */
#define SL_ERR_AUDIT_BROKEN       (SL_ERR_CORRUPT     | (112 << 8)) /* the audit chain is damaged   */

/* A short English sentence for the code; never NULL. */
SL_API const char *sl_status_str(int st);
/* A stable snake_case name for the code, e.g. "img_truncated"; never NULL. */
SL_API const char *sl_status_name(int st);

#ifdef __cplusplus
}
#endif
#endif

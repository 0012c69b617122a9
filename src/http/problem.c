/*
 * problem.c -- responses: JSON bodies and RFC 9457 application/problem+json
 * errors with a stable machine code (sl_status_name), the HTTP status, a
 * title, the request id, and zh/en messages that say what to do next.
 */
#include <string.h>

#include "http/http_int.h"

unsigned sl__http_status_for(sl_status st)
{
    switch ((int)st) {
    case SL_OK:                     return 200;
    case SL_ERR_HTTP_ROUTE:         return 404;
    case SL_ERR_HTTP_METHOD:        return 405;
    case SL_ERR_HTTP_BODY:          return 413;
    case SL_ERR_HTTP_CONTENT_TYPE:  return 415;
    case SL_ERR_HTTP_JSON:
    case SL_ERR_HTTP_UTF8:
    case SL_ERR_HTTP_NUL:
    case SL_ERR_HTTP_DEPTH:         return 400;
    case SL_ERR_HTTP_AUTH:
    case SL_ERR_ACCT_LOGIN:
    case SL_ERR_ACCT_SESSION:
    case SL_ERR_ACCT_DEVICE:        return 401;
    case SL_ERR_HTTP_FORBIDDEN:
    case SL_ERR_ACCT_DISABLED:      return 403;
    case SL_ERR_HTTP_RATE:
    case SL_ERR_ACCT_LOCKED:        return 429;
    case SL_ERR_HTTP_BUSY:
    case SL_ERR_HTTP_STOPPING:
    case SL_ERR_HTTP_UNAVAILABLE:   return 503;
    case SL_ERR_ACCT_EXISTS:        return 409;
    default:                        break;
    }
    switch (SL_STATUS_PRIMARY(st)) {
    case SL_ERR_INVALID:     return 422;
    case SL_ERR_TOO_LARGE:   return 413;
    case SL_ERR_NOT_FOUND:   return 404;
    case SL_ERR_UNSUPPORTED: return 422;
    case SL_ERR_STATE:       return 409;
    case SL_ERR_DENIED:      return 403;
    case SL_ERR_EXPIRED:     return 401;
    case SL_ERR_NOMEM:       return 503;
    case SL_NO_FACE:         return 422;
    default:                 return 500;
    }
}

/* What to do next, for people (a citizen at a kiosk may read these). */
struct advice { int code; const char *zh; const char *en; };
static const struct advice advice[] = {
    { SL_ERR_HTTP_JSON, "请求格式有误，请检查后重试。", "The request is not valid JSON; fix it and try again." },
    { SL_ERR_HTTP_UTF8, "请求包含无法识别的字符，请检查输入。", "The request contains invalid characters; check the input." },
    { SL_ERR_HTTP_NUL, "请求包含无效字符，请检查输入。", "The request contains a NUL character; remove it." },
    { SL_ERR_HTTP_DEPTH, "请求结构过于复杂，请简化后重试。", "The request is nested too deeply; simplify it." },
    { SL_ERR_HTTP_FIELD_UNKNOWN, "请求包含不支持的字段，请删除后重试。", "Remove the field this service does not accept and try again." },
    { SL_ERR_HTTP_FIELD_MISSING, "请求缺少必填项，请补全后重试。", "A required field is missing; add it and try again." },
    { SL_ERR_HTTP_FIELD_TYPE, "某项内容的类型不正确，请检查后重试。", "A field has the wrong type; correct it and try again." },
    { SL_ERR_HTTP_FIELD_VALUE, "某项内容超出允许范围，请检查后重试。", "A field value is not allowed; correct it and try again." },
    { SL_ERR_HTTP_PARAM, "地址中的参数无效，请检查后重试。", "A parameter in the address is invalid; check it." },
    { SL_ERR_HTTP_BODY, "上传内容过大，请压缩照片后重试。", "The upload is too large; use a smaller photo and try again." },
    { SL_ERR_HTTP_CONTENT_TYPE, "请以 JSON 格式提交。", "Send the request as application/json." },
    { SL_ERR_HTTP_METHOD, "该地址不支持此操作。", "This address does not support this method." },
    { SL_ERR_HTTP_ROUTE, "找不到该服务地址，请检查链接。", "No such address; check the link." },
    { SL_ERR_HTTP_AUTH, "请先登录或提供设备凭据。", "Log in, or send the device credential, and try again." },
    { SL_ERR_HTTP_FORBIDDEN, "您没有办理此项业务的权限，请联系管理员。", "Your role may not do this; ask an administrator." },
    { SL_ERR_HTTP_RATE, "操作过于频繁，请稍后再试。", "Too many requests; wait a moment and try again." },
    { SL_ERR_HTTP_BUSY, "系统繁忙，请稍后再试。", "The system is busy; try again in a few seconds." },
    { SL_ERR_HTTP_STOPPING, "系统正在维护，请稍后再试。", "The service is restarting; try again shortly." },
    { SL_ERR_HTTP_UNAVAILABLE, "该服务暂不可用，请联系工作人员。", "This service is not available now; ask the staff." },
    { SL_ERR_ACCT_LOGIN, "用户名或密码错误，请重新输入。", "Wrong username or password; try again." },
    { SL_ERR_ACCT_LOCKED, "登录失败次数过多，账户已暂时锁定，请稍后再试。", "Too many failed logins; the account is locked for a while." },
    { SL_ERR_ACCT_DISABLED, "该账户已停用，请联系管理员。", "This account is disabled; ask an administrator." },
    { SL_ERR_ACCT_DEVICE, "设备凭据无效或已吊销，请联系管理员。", "The device credential is invalid or revoked; ask an administrator." },
    { SL_ERR_ACCT_SESSION, "登录已过期，请重新登录。", "Your session has expired; log in again." },
    { SL_ERR_ACCT_EXISTS, "该名称已被使用，请换一个。", "The name is already taken; choose another." },
    { SL_ERR_SUB_IDENTITY, "身份验证失败：姓名或证件号码录入有误，或非本人操作，请核对后重试。", "Identity check failed: the name or document number is wrong, or it is not you; check them and try again." },
    { SL_ERR_SUB_FACE, "人像比对未通过：采集的人像与登记照片不一致，请本人在光线充足处重试。", "Face comparison failed: the capture does not match the registry photo; the person must retry in good light." },
    { SL_ERR_SUB_QUALITY, "照片像素低或光线暗，请在光线好的地方重试，或换用像素更高的手机。", "The photo is too small or dark; retry in good light or use a phone with a better camera." },
    { SL_ERR_SUB_TRANSIENT, "验证失败，请稍后重试。", "The verification failed; try again later." },
    { SL_ERR_SUB_BANK_FACTOR, "使用居民身份证核验的，还需通过本人银行卡信息核验，请补充银行卡后重试。", "With a resident ID you must also pass the bank-card check; add your bank card and try again." },
    { SL_ERR_SUB_PARTIES, "尚有相关人员未完成实名认证和签名，全部完成后方可提交。", "Not every person named in the filing has authenticated and signed; submit when all have." },
    { SL_ERR_SUB_NOT_PARTY, "您不是该事项的相关人员，无法办理。", "You are not a party of this item." },
    { SL_ERR_SUB_STATE, "该事项已处理，无需重复操作。", "This item was already handled." },
    { SL_ERR_SUB_EXPIRED, "该待办事项已超过 7 天，请联系提交人重新发起。", "The item is older than 7 days; ask the filer to start it again." },
    { SL_ERR_SUB_NOT_FOUND, "未找到该事项，请检查编号。", "No such item; check the number." },
    { SL_ERR_IDCODE_FORMAT, "这不是有效的电子身份码或终端登录码，请对准正确的二维码重试。", "This is not an identity code or kiosk login code; point the camera at the right QR code and try again." },
    { SL_ERR_IDCODE_SIGNATURE, "电子身份码无法验证，请在手机上刷新后重新亮码。", "The identity code cannot be verified; refresh it on the phone and show it again." },
    { SL_ERR_IDCODE_EXPIRED, "电子身份码已过期，请在手机上刷新后重新亮码。", "The identity code has expired; refresh it on the phone and show it again." },
    { SL_ERR_IDCODE_USED, "该电子身份码已使用过，请在手机上刷新后重新亮码。", "This identity code was used already; refresh it on the phone and show it again." },
    { SL_ERR_IDCODE_PURPOSE, "该码不能在本大厅或本用途使用，请在手机上重新生成。", "This code is for another hall or purpose; generate a new one on the phone." },
    { SL_ERR_IDCODE_NO_QR, "画面中没有识别到二维码，请将二维码完整对准摄像头后重试。", "No QR code was found in the picture; hold the whole code in front of the camera and try again." },
    { SL_ERR_KIOSK_LOGIN_DONE, "该终端登录码已被确认过，请在终端上重新选择扫码登录。", "This kiosk login was approved already; choose scan login on the kiosk again." },
    { SL_ERR_KIOSK_LOGIN_EXPIRED, "终端登录码已过期，请在终端上重新选择扫码登录。", "The kiosk login code has expired; choose scan login on the kiosk again." },
    { SL_ERR_KIOSK_CONSENT, "请先勾选同意查询本人及配偶的不动产和婚姻登记信息，或到窗口办理。", "Tick your agreement to the look-up of your and your spouse's property and marriage records first, or go to a service window." },
    { SL_ERR_ID_PHOTO_NO_FACE, "登记照片中未检测到人脸，请换一张正面免冠照片。", "No face in the registry photo; use a frontal photo of the person." },
    { SL_ERR_ID_PHOTO_QUALITY, "登记照片不可用（多人、脸部不完整或光线不当），请换一张照片。", "The registry photo is not usable (several faces, face cut off, or bad light); use another photo." },
    { SL_ERR_ID_PERSON_EXISTS, "该证件号码已登记，无需重复添加。", "This document is already in the registry; look it up instead of adding it." },
    { SL_ERR_ID_PERSON_UNKNOWN, "登记库中没有该证件的记录，请核对证件类型和号码。", "No registry record for this document; check the document type and number." },
    { SL_ERR_ID_CHECK_DIGIT, "证件号码校验位不正确，请核对号码是否输错。", "The ID number's check character is wrong; check the number for a typing error." },
    { SL_ERR_ID_BIRTH_DATE, "证件号码中的出生日期不存在，请核对号码。", "The birth date in the number is impossible; check the number." },
    /* citizen sessions and applications bound to verifications (w3-gov) */
    { SL_ERR_ID_VERIF_BINDING, "该身份核验不是为本次业务（或本人）进行的，请为本次业务重新核验。", "This verification was made for another matter, application or person; verify again for this one." },
    { SL_ERR_ID_VERIF_USED, "该身份核验已使用过，请重新进行人脸核验。", "This verification has already been used; verify your face again." },
    { SL_ERR_ID_VERIF_EXPIRED, "身份核验已超时，请重新进行人脸核验。", "The verification has expired; verify your face again." },
    { SL_ERR_ID_VERIF_FAILED, "身份核验未通过，请重新核验，或到窗口由工作人员核验证件办理。", "The verification did not pass; try again, or have your ID document checked at a service window." },
    { SL_ERR_CITIZEN_LEVEL, "登录需要刷脸核验或证件核验，仅凭姓名和身份证号不能登录。", "Logging in needs a face check or a document check; a name and ID number alone are not enough." },
    { SL_ERR_ALLOWANCE_STOPPED, "已收到死亡登记信息，津贴已停止发放。如信息有误，请到民政窗口办理。", "A death record was received and the allowance stopped; if this is wrong, visit a civil-affairs window." },
    { SL_ERR_ID_PERSON_STATUS, "该身份记录状态异常（如已注销），无法办理，请到窗口咨询。", "This identity record is not active (e.g. cancelled); ask at a service window." },
    /* licences and credentials (w3-lic) */
    { SL_ERR_LIC_CONSENT, "使用电子证照需要您本人的授权，请先刷脸授权；也可到窗口提交纸质材料。", "Your licences are used only with your consent: give it by face verification first, or hand in the paper documents at a window." },
    { SL_ERR_LIC_REVOKED, "该电子证照（或证明）已被注销，无法使用，请联系发证部门。", "This licence or credential has been revoked; contact the issuing department." },
    { SL_ERR_LIC_SUSPENDED, "该电子证照已暂停使用，请联系发证部门。", "This licence is suspended; contact the issuing department." },
    { SL_ERR_LIC_EXPIRED, "该电子证照已过有效期，请联系发证部门换发。", "This licence is outside its validity; ask the issuing department for a new one." },
    { SL_ERR_LIC_TAMPERED, "该电子证照未通过签名校验，已停止使用，请联系发证部门。", "This licence failed its signature check and was not used; contact the issuing department." },
    { SL_ERR_CRED_LIMIT, "本月临时身份证明已达上限，请携带身份证件办理或下月再申请。", "This month's limit of temporary credentials is reached; bring your ID document, or apply next month." },
    { SL_ERR_PRINT_TOKEN, "核验码无效或已被篡改，请核对后重新输入或重新扫码。", "The code is not valid or was altered; check it and type or scan it again." },
    { SL_NO_FACE, "照片中未检测到人脸，请正对镜头重新拍摄。", "No face was found; face the camera and take the photo again." },
    { SL_ERR_INVALID, "提交的内容无效，请检查后重试。", "The input was rejected; check it and try again." },
    { SL_ERR_TOO_LARGE, "提交的内容超出限制，请缩小后重试。", "The input is over a limit; make it smaller and try again." },
    { SL_ERR_NOT_FOUND, "未找到相关记录。", "Nothing was found; check the identifier." },
    { SL_ERR_UNSUPPORTED, "不支持该格式，请使用 JPEG 或 PNG 照片。", "This format is not supported; use a JPEG or PNG photo." },
    { SL_ERR_DENIED, "操作未被允许。", "This was refused by policy." },
    { SL_ERR_EXPIRED, "已过期，请重新开始。", "This has expired; start again." },
    { SL_ERR_STATE, "当前状态下无法办理，请稍后再试。", "This cannot be done now; try again later." },
};

static const struct advice *advice_for(sl_status st)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(advice); i++)
        if (advice[i].code == (int)st)
            return &advice[i];
    for (size_t i = 0; i < SL_ARRAY_LEN(advice); i++)
        if (advice[i].code == (int)SL_STATUS_PRIMARY(st))
            return &advice[i];
    return NULL;
}

static void common_headers_cache(struct sl_req *r, struct MHD_Response *resp,
                                 const char *ctype, const char *cache)
{
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    MHD_add_response_header(resp, "Cache-Control", cache);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

static void common_headers(struct sl_req *r, struct MHD_Response *resp,
                           const char *ctype)
{
    common_headers_cache(r, resp, ctype, "no-store");
}

static sl_status queue(struct sl_req *r, unsigned status, struct MHD_Response *resp)
{
    if (!resp)
        return SL_ERR_NOMEM;
    if (atomic_load(&r->srv->stopping))
        MHD_add_response_header(resp, "Connection", "close");
    if (r->deferred) {           /* on a worker: MHD's thread queues it */
        if (r->resp)
            MHD_destroy_response(r->resp);
        r->resp = resp;
        r->responded = true;
        r->status = status;
        return SL_OK;
    }
    enum MHD_Result ok = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    if (ok != MHD_YES)
        return SL_ERR_IO;
    r->responded = true;
    r->status = status;
    return SL_OK;
}

sl_status sl__reply_bytes(struct sl_req *r, unsigned status, const char *ctype,
                          const void *p, size_t n)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return SL_ERR_NOMEM;
    common_headers(r, resp, ctype);
    return queue(r, status, resp);
}

sl_status sl__reply_page(struct sl_req *r, unsigned status, const char *ctype,
                         const void *p, size_t n, const char *cache,
                         const char *const *hdrs)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return SL_ERR_NOMEM;
    common_headers_cache(r, resp, ctype, cache ? cache : "no-store");
    for (size_t i = 0; hdrs && hdrs[i] && hdrs[i + 1]; i += 2)
        MHD_add_response_header(resp, hdrs[i], hdrs[i + 1]);
    return queue(r, status, resp);
}

static sl_status reply_json_ctype(struct sl_req *r, unsigned status, json_t *obj,
                                  const char *ctype, unsigned retry_after_s)
{
    if (!obj)
        return SL_ERR_NOMEM;
    char *text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(obj);
    if (!text)
        return SL_ERR_NOMEM;
    size_t n = strlen(text);
    text[n] = '\0';
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return SL_ERR_NOMEM;
    }
    common_headers(r, resp, ctype);
    if (retry_after_s) {
        char ra[24];
        snprintf(ra, sizeof ra, "%u", retry_after_s);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate",
                                "Bearer realm=\"shualian\", Device realm=\"shualian\"");
    return queue(r, status, resp);
}

sl_status sl__reply_result(struct sl_req *r, sl_status st, const char *why, unsigned code,
                           const char *key, json_t *out)
{
    if (st != SL_OK) {
        if (why && *why)
            snprintf(r->detail, sizeof r->detail, "%s", why);
        json_decref(out);
        return st;
    }
    r->audited = true;
    return sl__reply_json(r, code, key ? json_pack("{s:o}", key, out) : out);
}

sl_status sl__reply_json(struct sl_req *r, unsigned status, json_t *obj)
{
    return reply_json_ctype(r, status, obj, "application/json", 0);
}

sl_status sl__reply_problem(struct sl_req *r, sl_status st, const char *detail,
                            unsigned retry_after_s)
{
    unsigned status = sl__http_status_for(st);
    const char *name = sl_status_name(st);
    char type[96];
    snprintf(type, sizeof type, "urn:shualian:problem:%s", name);
    json_t *p = json_object();
    json_object_set_new(p, "type", json_string(type));
    json_object_set_new(p, "title", json_string(sl_status_str(st)));
    json_object_set_new(p, "status", json_integer(status));
    json_object_set_new(p, "code", json_string(name));
    if (detail && *detail) {
        char masked[512];
        snprintf(masked, sizeof masked, "%s", detail);
        sl_mask_ids_in(masked);
        json_t *d = json_string(masked);
        if (d)   /* a detail quoting invalid UTF-8 input is dropped */
            json_object_set_new(p, "detail", d);
    }
    json_object_set_new(p, "request_id", json_string(r->id));
    const struct advice *a = advice_for(st);
    if (a) {
        json_object_set_new(p, "zh", json_string(a->zh));
        json_object_set_new(p, "en", json_string(a->en));
    }
    if (retry_after_s)
        json_object_set_new(p, "retry_after", json_integer(retry_after_s));
    r->code = st;
    return reply_json_ctype(r, status, p, "application/problem+json", retry_after_s);
}

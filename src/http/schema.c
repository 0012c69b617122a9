/*
 * schema.c -- request body parsing and validation against a route's
 * schema (http_int.h), and the same schema rendered as OpenAPI 3.1 /
 * JSON Schema. Each kind of bad input has its own code: malformed JSON,
 * invalid UTF-8, NUL in a string, nesting too deep, unknown field,
 * missing field, wrong type, value out of range.
 */
#include <string.h>

#include "http/http_int.h"

#define SL_JSON_MAX_DEPTH 32

/* Nesting depth of the JSON text, counted on the bytes before parsing so
 * a 10,000-deep body never reaches the recursive parser. */
static size_t text_depth(const char *p, size_t n)
{
    size_t d = 0, best = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++d > best)
                best = d;
        } else if ((c == ']' || c == '}') && d > 0) {
            d--;
        }
    }
    return best;
}

sl_status sl__http_parse_body(const char *p, size_t n, json_t **out, char *err,
                              size_t cap)
{
    if (text_depth(p, n) > SL_JSON_MAX_DEPTH) {
        snprintf(err, cap, "JSON nested deeper than %d levels", SL_JSON_MAX_DEPTH);
        return SL_ERR_HTTP_DEPTH;
    }
    json_error_t je;
    json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        snprintf(err, cap, "line %d column %d: %s", je.line, je.column, je.text);
        switch (json_error_code(&je)) {
        case json_error_invalid_utf8:       return SL_ERR_HTTP_UTF8;
        case json_error_null_character:
        case json_error_null_byte_in_key:   return SL_ERR_HTTP_NUL;
        case json_error_stack_overflow:     return SL_ERR_HTTP_DEPTH;
        case json_error_out_of_memory:      return SL_ERR_NOMEM;
        default:                            return SL_ERR_HTTP_JSON;
        }
    }
    *out = v;
    return SL_OK;
}

static const char *type_name(enum sl_stype t)
{
    switch (t) {
    case SL_S_OBJECT: return "object";
    case SL_S_STRING: return "string";
    case SL_S_INT:    return "integer";
    case SL_S_NUMBER: return "number";
    case SL_S_BOOL:   return "boolean";
    case SL_S_ARRAY:  return "array";
    default:          return NULL;
    }
}

static bool type_ok(enum sl_stype t, const json_t *v)
{
    switch (t) {
    case SL_S_OBJECT: return json_is_object(v);
    case SL_S_STRING: return json_is_string(v);
    case SL_S_INT:    return json_is_integer(v);
    case SL_S_NUMBER: return json_is_number(v);
    case SL_S_BOOL:   return json_is_boolean(v);
    case SL_S_ARRAY:  return json_is_array(v);
    default:          return true;
    }
}

static void path_join(char *out, size_t cap, const char *base, const char *key)
{
    snprintf(out, cap, "%s/%s", base, key);
}

static sl_status check_at(const struct sl_schema *s, const json_t *v, char *where,
                          size_t cap)
{
    if (!type_ok(s->type, v))
        return SL_ERR_HTTP_FIELD_TYPE;
    if (s->type == SL_S_STRING) {
        size_t n = json_string_length(v);
        if (n < s->min_len || (s->max_len && n > s->max_len))
            return SL_ERR_HTTP_FIELD_VALUE;
        if (s->enums) {
            bool found = false;
            for (const char *const *e = s->enums; *e && !found; e++)
                found = strcmp(*e, json_string_value(v)) == 0;
            if (!found)
                return SL_ERR_HTTP_FIELD_VALUE;
        }
    } else if (s->type == SL_S_INT || s->type == SL_S_NUMBER) {
        double x = json_number_value(v);
        if (s->min < s->max && (x < s->min || x > s->max))
            return SL_ERR_HTTP_FIELD_VALUE;
    } else if (s->type == SL_S_ARRAY) {
        size_t n = json_array_size(v);
        if (n < s->min_len || (s->max_len && n > s->max_len))
            return SL_ERR_HTTP_FIELD_VALUE;
        if (s->items) {
            char base[256];
            snprintf(base, sizeof base, "%s", where);
            for (size_t i = 0; i < n; i++) {
                char idx[24];
                snprintf(idx, sizeof idx, "%zu", i);
                path_join(where, cap, base, idx);
                sl_status st = check_at(s->items, json_array_get(v, i), where, cap);
                if (st != SL_OK)
                    return st;
            }
            snprintf(where, cap, "%s", base);
        }
    } else if (s->type == SL_S_OBJECT && s->fields) {
        char base[256];
        snprintf(base, sizeof base, "%s", where);
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            const struct sl_field *f = s->fields;
            while (f->name && strcmp(f->name, k) != 0)
                f++;
            path_join(where, cap, base, k);
            if (!f->name)
                return SL_ERR_HTTP_FIELD_UNKNOWN;
            sl_status st = check_at(f->schema, c, where, cap);
            if (st != SL_OK)
                return st;
        }
        for (const struct sl_field *f = s->fields; f->name; f++) {
            if (f->required && !json_object_get(v, f->name)) {
                path_join(where, cap, base, f->name);
                return SL_ERR_HTTP_FIELD_MISSING;
            }
        }
        snprintf(where, cap, "%s", base);
    }
    return SL_OK;
}

sl_status sl__schema_check(const struct sl_schema *s, const json_t *v,
                           char *where, size_t cap)
{
    where[0] = '\0';
    sl_status st = check_at(s, v, where, cap);
    if (st != SL_OK && where[0] == '\0')
        snprintf(where, cap, "/");
    return st;
}

json_t *sl__schema_json(const struct sl_schema *s)
{
    json_t *o = json_object();
    const char *t = type_name(s->type);
    if (t)
        json_object_set_new(o, "type", json_string(t));
    if (s->desc)
        json_object_set_new(o, "description", json_string(s->desc));
    if (s->format)
        json_object_set_new(o, "format", json_string(s->format));
    if (s->type == SL_S_STRING) {
        if (s->min_len)
            json_object_set_new(o, "minLength", json_integer((json_int_t)s->min_len));
        if (s->max_len)
            json_object_set_new(o, "maxLength", json_integer((json_int_t)s->max_len));
        if (s->enums) {
            json_t *e = json_array();
            for (const char *const *p = s->enums; *p; p++)
                json_array_append_new(e, json_string(*p));
            json_object_set_new(o, "enum", e);
        }
    }
    if ((s->type == SL_S_INT || s->type == SL_S_NUMBER) && s->min < s->max) {
        json_object_set_new(o, "minimum", json_real(s->min));
        json_object_set_new(o, "maximum", json_real(s->max));
    }
    if (s->type == SL_S_ARRAY) {
        if (s->items)
            json_object_set_new(o, "items", sl__schema_json(s->items));
        if (s->min_len)
            json_object_set_new(o, "minItems", json_integer((json_int_t)s->min_len));
        if (s->max_len)
            json_object_set_new(o, "maxItems", json_integer((json_int_t)s->max_len));
    }
    if (s->type == SL_S_OBJECT && s->fields) {
        json_t *props = json_object(), *req = json_array();
        for (const struct sl_field *f = s->fields; f->name; f++) {
            json_object_set_new(props, f->name, sl__schema_json(f->schema));
            if (f->required)
                json_array_append_new(req, json_string(f->name));
        }
        json_object_set_new(o, "properties", props);
        if (json_array_size(req))
            json_object_set_new(o, "required", req);
        else
            json_decref(req);
        json_object_set_new(o, "additionalProperties", json_false());
    }
    return o;
}

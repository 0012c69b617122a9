/*
 * gov.h -- service matters: what other modules (http, cli) may call.
 *
 * Layering: gov includes base, and (for applications) id, audit, store;
 * never http. This part is pure logic over data: the matter catalogue,
 * the eligibility rules and the application state machine. Everything is
 * data read from files shipped with the program (share/shualian/matters/)
 * and validated at load, with errors that name file, line and field.
 */
#ifndef SL_GOV_H
#define SL_GOV_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/base.h"
#include "shualian/status.h"

/* snprintf for field paths and messages of this module: a long path is
 * cut, never an error (and no -Wformat-truncation on the callers). */
__attribute__((format(printf, 3, 4)))
void sl__gov_pathf(char *p, size_t cap, const char *fmt, ...);

/* ------------------------- JSON positions ------------------------------ */

/* Line of each value of a JSON text by path ("materials[2].provide");
 * built after jansson accepted the text. */
struct sl__jsonpos;
struct sl__jsonpos *sl__jsonpos_scan(const char *text, size_t n);
/* Line of path, or of its longest recorded prefix; 0 if unknown. */
int  sl__jsonpos_line(const struct sl__jsonpos *p, const char *path);
void sl__jsonpos_free(struct sl__jsonpos *p);

/* ------------------------------ rules ---------------------------------- *
 * Eligibility rules are JSON data evaluated by our code -- never code
 * execution. A matter's "rules" is an array of
 *
 *   {"id": "R1", "zh": "...", "en": "...", "check": NODE,
 *    "else": "refuse" | "review"}
 *
 * NODE is one of
 *   {"all": [NODE, ...]}   {"any": [NODE, ...]}   {"not": NODE}
 *   {"fact": PATH, "op": OP, "value": V}
 * PATH names a fact: "applicant.<field>", "application.<field>" or
 * "shared.<source>.<field>" (sources and fields: sl__shared_field_known).
 * OP: eq ne lt le gt ge (numbers, or strings compared as text: dates
 * YYYY-MM-DD compare correctly), in not_in (V is an array), contains
 * (the fact is an array holding V, or a string holding V), prefix (the
 * fact is a string starting with V), exists missing (no V).
 *
 * Evaluation is three-valued: a fact that is absent (or of another type
 * than V) makes its comparison UNKNOWN -- a person decides, the rules do
 * not guess. all/any/not follow Kleene's logic. The decision:
 *   refuse  if a rule is FALSE and its else is "refuse";
 *   review  if a rule is FALSE with else "review", or UNKNOWN, or the
 *           matter forbids automatic approval;
 *   approve otherwise.
 * The explanation lists every rule with its result and the facts it read.
 */
enum sl__tv { SL_TV_FALSE = 0, SL_TV_TRUE = 1, SL_TV_UNKNOWN = 2 };
enum sl__decision { SL_DECIDE_APPROVE = 1, SL_DECIDE_REVIEW = 2, SL_DECIDE_REFUSE = 3 };

#define SL_RULES_DEPTH_MAX 16
#define SL_RULES_NODES_MAX 256

const char *sl__decision_name(enum sl__decision d);

/* Validates a rules array. On failure writes "PATH: what is wrong" into
 * err, where PATH extends `base` (e.g. "rules[1].check.all[0].op"), and
 * returns SL_ERR_RULES_FORMAT. */
sl_status sl__rules_check(const json_t *rules, const char *base, char *err, size_t cap);

/* Evaluates a (checked) rules array over facts {"applicant": {...},
 * "application": {...}, "shared": {...}}. *explain (new reference) is
 * {"decision", "rules": [{"id","zh","en","result","else","facts":{PATH: value|null}}]}. */
sl_status sl__rules_eval(const json_t *rules, const json_t *facts, bool auto_approve,
                         enum sl__decision *out, json_t **explain);

/* Shared-data sources and their fields: the one list that catalogue
 * validation, rules and the data-exchange interface agree on. */
bool sl__shared_source_known(const char *source);
bool sl__shared_field_known(const char *source, const char *field);
/* Electronic licence types that can replace a material. */
bool sl__licence_type_known(const char *type);

/* ------------------------ licence identifiers ---------------------------
 * GB/T 36904 electronic licence identifiers (licence_id.c documents the
 * layout and the check rules). */
#define SL_LICENCE_ID_MAX 128u
struct sl__licence_id {
    char id[SL_LICENCE_ID_MAX];
    char type[24], issuer[20], serial[48], version[8];
};
/* ISO 7064 MOD 37,36 check character over 0-9 A-Z (0 for other input). */
char sl__iso7064_37_36(const char *s);
/* GB 32100 unified social credit code check character of 17 characters. */
char sl__uscc_check_char(const char *first17);
/* SL_ERR_LICENCE_ID with "part: what is wrong" in why. */
sl_status sl__licence_id_parse(const char *id, struct sl__licence_id *out, char *why, size_t cap);
sl_status sl__licence_id_make(const char *type, const char *issuer, const char *serial,
                              unsigned version, char out[SL_LICENCE_ID_MAX]);

/* ------------------------ application states --------------------------- *
 * draft -> awaiting_auth -> submitted -> accepted (受理, receipt) ->
 * [on_hold (挂起) ->] in_review -> approved | returned | rejected;
 * returned -> in_review (resubmitted); approved -> completed (办结) ->
 * collected. The applicant may withdraw until a decision. Final states:
 * rejected, collected, withdrawn. */
enum sl_app_state {
    SL_APP_DRAFT, SL_APP_AWAITING_AUTH, SL_APP_SUBMITTED, SL_APP_ACCEPTED,
    SL_APP_ON_HOLD, SL_APP_IN_REVIEW, SL_APP_RETURNED, SL_APP_APPROVED,
    SL_APP_REJECTED, SL_APP_COMPLETED, SL_APP_COLLECTED, SL_APP_WITHDRAWN,
    SL_APP_N_STATES
};
enum sl_app_actor { SL_ACTOR_APPLICANT, SL_ACTOR_CLERK, SL_ACTOR_REVIEWER, SL_ACTOR_SYSTEM,
                    SL_ACTOR_N };

const char *sl__app_state_name(enum sl_app_state s);
int  sl__app_state_parse(const char *name);            /* -1 if unknown */
/* What the applicant reads for a state: what happens next (static). */
void sl__app_state_text(enum sl_app_state s, const char **zh, const char **en);
bool sl__app_state_final(enum sl_app_state s);
/* The one transition table. SL_ERR_APP_TRANSITION (event not allowed in
 * that state) or SL_ERR_APP_FORBIDDEN (allowed, but not for this actor);
 * why (if not NULL) says what is allowed instead. */
sl_status sl__app_transition(enum sl_app_state from, const char *event, enum sl_app_actor actor,
                             enum sl_app_state *to, char *why, size_t cap);

#endif

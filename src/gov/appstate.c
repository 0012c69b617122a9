/*
 * appstate.c -- the application state machine (gov.h): the one table of
 * which event moves an application from which state to which, and who
 * may cause it. Everything else (the store, the timeline, the HTTP
 * routes) asks this table; an illegal transition is refused with
 * SL_ERR_APP_TRANSITION and a sentence naming what is allowed instead.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gov/gov.h"

static const char *const state_names[SL_APP_N_STATES] = {
    [SL_APP_DRAFT] = "draft",
    [SL_APP_AWAITING_AUTH] = "awaiting_auth",
    [SL_APP_SUBMITTED] = "submitted",
    [SL_APP_ACCEPTED] = "accepted",
    [SL_APP_ON_HOLD] = "on_hold",
    [SL_APP_IN_REVIEW] = "in_review",
    [SL_APP_RETURNED] = "returned",
    [SL_APP_APPROVED] = "approved",
    [SL_APP_REJECTED] = "rejected",
    [SL_APP_COMPLETED] = "completed",
    [SL_APP_COLLECTED] = "collected",
    [SL_APP_WITHDRAWN] = "withdrawn",
};

/* What the applicant reads for each state: what happens next. */
static const struct { const char *zh, *en; } state_text[SL_APP_N_STATES] = {
    [SL_APP_DRAFT] = { "草稿：请填写并提交申请。", "Draft: fill in and submit the application." },
    [SL_APP_AWAITING_AUTH] = { "待认证：每位需认证的人员须完成本次申请的身份认证。",
                               "Awaiting authentication: everyone who must authenticate does so for this application." },
    [SL_APP_SUBMITTED] = { "已提交：等待受理。", "Submitted: waiting to be accepted." },
    [SL_APP_ACCEPTED] = { "已受理：已出具受理凭证，进入审核。",
                          "Accepted: a receipt was issued; the application goes to review." },
    [SL_APP_ON_HOLD] = { "挂起：公告期内暂停办理，期满后自动恢复。",
                         "On hold: paused during the notice period, resumed automatically when it ends." },
    [SL_APP_IN_REVIEW] = { "审核中：工作人员正在审核。", "In review: a member of staff is reviewing it." },
    [SL_APP_RETURNED] = { "已退回：请按要求补充材料后重新提交。",
                          "Returned: add what was asked for and resubmit." },
    [SL_APP_APPROVED] = { "已批准：正在办理。", "Approved: being carried out." },
    [SL_APP_REJECTED] = { "不予办理：原因见办件记录。", "Rejected: the reasons are in the timeline." },
    [SL_APP_COMPLETED] = { "已办结：请按通知领取结果。", "Completed: collect the result as notified." },
    [SL_APP_COLLECTED] = { "已领取：办件结束。", "Collected: the matter is closed." },
    [SL_APP_WITHDRAWN] = { "已撤回：办件结束。", "Withdrawn: the matter is closed." },
};

/* Who may cause an event: bit set of actors. */
#define A(x) (1u << (x))
static const struct {
    enum sl_app_state from;
    const char *event;
    enum sl_app_state to;
    unsigned actors;
} table[] = {
    { SL_APP_DRAFT,         "request_auth", SL_APP_AWAITING_AUTH, A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
    { SL_APP_AWAITING_AUTH, "submit",       SL_APP_SUBMITTED,     A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
    { SL_APP_SUBMITTED,     "accept",       SL_APP_ACCEPTED,      A(SL_ACTOR_CLERK) | A(SL_ACTOR_SYSTEM) },
    { SL_APP_SUBMITTED,     "reject",       SL_APP_REJECTED,      A(SL_ACTOR_CLERK) | A(SL_ACTOR_SYSTEM) },
    { SL_APP_ACCEPTED,      "hold",         SL_APP_ON_HOLD,       A(SL_ACTOR_CLERK) | A(SL_ACTOR_SYSTEM) },
    { SL_APP_ACCEPTED,      "review",       SL_APP_IN_REVIEW,     A(SL_ACTOR_CLERK) | A(SL_ACTOR_SYSTEM) },
    { SL_APP_ON_HOLD,       "release",      SL_APP_IN_REVIEW,     A(SL_ACTOR_SYSTEM) },
    { SL_APP_IN_REVIEW,     "approve",      SL_APP_APPROVED,      A(SL_ACTOR_REVIEWER) | A(SL_ACTOR_SYSTEM) },
    { SL_APP_IN_REVIEW,     "return",       SL_APP_RETURNED,      A(SL_ACTOR_REVIEWER) },
    { SL_APP_IN_REVIEW,     "reject",       SL_APP_REJECTED,      A(SL_ACTOR_REVIEWER) | A(SL_ACTOR_SYSTEM) },
    { SL_APP_RETURNED,      "resubmit",     SL_APP_IN_REVIEW,     A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
    { SL_APP_APPROVED,      "complete",     SL_APP_COMPLETED,     A(SL_ACTOR_CLERK) | A(SL_ACTOR_REVIEWER) | A(SL_ACTOR_SYSTEM) },
    { SL_APP_COMPLETED,     "collect",      SL_APP_COLLECTED,     A(SL_ACTOR_CLERK) | A(SL_ACTOR_APPLICANT) },
    /* The applicant may withdraw until a decision is taken. */
    { SL_APP_DRAFT,         "withdraw",     SL_APP_WITHDRAWN,     A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
    { SL_APP_AWAITING_AUTH, "withdraw",     SL_APP_WITHDRAWN,     A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
    { SL_APP_SUBMITTED,     "withdraw",     SL_APP_WITHDRAWN,     A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
    { SL_APP_ACCEPTED,      "withdraw",     SL_APP_WITHDRAWN,     A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
    { SL_APP_ON_HOLD,       "withdraw",     SL_APP_WITHDRAWN,     A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
    { SL_APP_IN_REVIEW,     "withdraw",     SL_APP_WITHDRAWN,     A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
    { SL_APP_RETURNED,      "withdraw",     SL_APP_WITHDRAWN,     A(SL_ACTOR_APPLICANT) | A(SL_ACTOR_CLERK) },
};
#undef A

static const char *const actor_names[SL_ACTOR_N] = {
    [SL_ACTOR_APPLICANT] = "applicant", [SL_ACTOR_CLERK] = "clerk",
    [SL_ACTOR_REVIEWER] = "reviewer", [SL_ACTOR_SYSTEM] = "system",
};

const char *sl__app_state_name(enum sl_app_state s)
{
    return (unsigned)s < SL_APP_N_STATES ? state_names[s] : "unknown";
}

int sl__app_state_parse(const char *name)
{
    for (int i = 0; name && i < SL_APP_N_STATES; i++)
        if (strcmp(state_names[i], name) == 0)
            return i;
    return -1;
}

void sl__app_state_text(enum sl_app_state s, const char **zh, const char **en)
{
    bool ok = (unsigned)s < SL_APP_N_STATES;
    if (zh) *zh = ok ? state_text[s].zh : "";
    if (en) *en = ok ? state_text[s].en : "";
}

bool sl__app_state_final(enum sl_app_state s)
{
    return s == SL_APP_REJECTED || s == SL_APP_COLLECTED || s == SL_APP_WITHDRAWN;
}

sl_status sl__app_transition(enum sl_app_state from, const char *event, enum sl_app_actor actor,
                             enum sl_app_state *to, char *why, size_t cap)
{
    bool event_known = false;
    for (size_t i = 0; event && i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].event, event) != 0)
            continue;
        event_known = true;
        if (table[i].from != from)
            continue;
        if ((unsigned)actor >= SL_ACTOR_N || !(table[i].actors & (1u << actor))) {
            if (why)
                snprintf(why, cap, "a %s may not %s an application",
                         (unsigned)actor < SL_ACTOR_N ? actor_names[actor] : "caller", event);
            return SL_ERR_APP_FORBIDDEN;
        }
        *to = table[i].to;
        return SL_OK;
    }
    if (why) {
        char allowed[200] = "";
        size_t k = 0;
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
            if (table[i].from == from && k + 32 < sizeof allowed)
                k += (size_t)snprintf(allowed + k, sizeof allowed - k, "%s%s", k ? ", " : "",
                                      table[i].event);
        if (!event_known)
            snprintf(why, cap, "'%s' is not an application event", event ? event : "");
        else if (k)
            snprintf(why, cap, "an application that is %s cannot be '%s' (allowed now: %s)",
                     sl__app_state_name(from), event, allowed);
        else
            snprintf(why, cap, "an application that is %s is closed", sl__app_state_name(from));
    }
    return SL_ERR_APP_TRANSITION;
}

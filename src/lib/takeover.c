#include "takeover.h"

#include "mqplane/defaults.h"

#define MAX_FACTOR MQP_TAKEOVER_WAIT_FACTOR /* The longest wait, in units of the first. */

void mqp__takeover_init(mqp__takeover *t, int64_t base_ms)
{
    *t = (mqp__takeover){0};
    base_ms = base_ms > 0 ? base_ms : 1;
    mqpx_backoff_init(&t->backoff, base_ms, base_ms * MAX_FACTOR);
    t->quiet_ms = 2 * base_ms * MAX_FACTOR;
}

static void end_episode(mqp__takeover *t)
{
    t->closes = 0;
    t->takeovers = 0;
    mqpx_backoff_reset(&t->backoff);
}

void mqp__takeover_attempt_failed(mqp__takeover *t)
{
    t->attempts++;
}

void mqp__takeover_connected(mqp__takeover *t, bool session_present)
{
    t->resumed_at_once = t->last_closed && t->attempts == 0 && session_present;
    t->attempts = 0;
}

mqp__loss mqp__takeover_lost(mqp__takeover *t, bool closed_by_broker, bool reason_taken_over,
                             int64_t up_ms)
{
    bool closed = closed_by_broker || reason_taken_over;
    bool chained = t->resumed_at_once && up_ms < t->quiet_ms;
    t->last_closed = closed;
    t->attempts = 0;
    t->resumed_at_once = false;
    if (!closed) {
        end_episode(t);
        return MQP__LOSS_OTHER;
    }
    if (!chained) {
        end_episode(t); /* A close after a long or hard-won connection starts afresh. */
    }
    t->closes++;
    mqp__loss verdict = reason_taken_over ? MQP__LOSS_TAKEOVER
                        : t->closes >= 2  ? MQP__LOSS_TAKEOVER_LIKELY
                                          : MQP__LOSS_OTHER;
    if (verdict != MQP__LOSS_OTHER) {
        t->takeovers++;
    }
    return verdict;
}

int64_t mqp__takeover_delay(mqp__takeover *t)
{
    return mqpx_backoff_next(&t->backoff);
}

unsigned mqp__takeover_count(const mqp__takeover *t)
{
    return t->takeovers;
}

bool mqp__takeover_settled(mqp__takeover *t, int64_t up_ms)
{
    if (t->takeovers == 0 || up_ms < t->quiet_ms) {
        return false;
    }
    end_episode(t);
    t->last_closed = false;
    return true;
}

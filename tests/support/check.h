/* Shared test helpers: cmocka plus an assertion that names mqplane error codes. */
#ifndef MQP_TEST_CHECK_H
#define MQP_TEST_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "mqplane/common.h"

/* Asserts rc == want and, if not, prints both codes by name and description. */
#define assert_rc(rc, want)                                                                        \
    do {                                                                                           \
        mqp_err rc_ = (rc), want_ = (want);                                                        \
        if (rc_ != want_) {                                                                        \
            print_error("%s:%d: got %s (%s), expected %s (%s)\n", __FILE__, __LINE__,              \
                        mqp_err_name(rc_), mqp_strerror(rc_), mqp_err_name(want_),                 \
                        mqp_strerror(want_));                                                      \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define assert_ok(rc) assert_rc((rc), MQP_OK)

#endif

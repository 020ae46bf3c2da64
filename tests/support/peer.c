/* A client in a process of its own, for tests that kill it: connects to URL as ID, prints
 * "ready" on stdout, and waits to be killed. Exits 2 if it cannot connect. */
#include "mqplane/client.h"

#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mqp_test_peer URL CLIENT_ID\n");
        return 64;
    }
    mqp_client_opts o = {.url = argv[1], .client_id = argv[2]};
    mqp_client *c = NULL;
    if (mqp_client_new(&c, &o) != MQP_OK || mqp_client_connect(c, 5000) != MQP_OK) {
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        pause();
    }
}
